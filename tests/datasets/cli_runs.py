"""The CLI runs the per-dataset tests share: a 2-step training and a prediction of one
split, each asserted to succeed."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from vscrowd.cli.main import app

#: A tiny CPU model: 2 steps, 1/16 width, no validation, no workers.
TINY = ["--max-steps", "2", "--batch-size", "2", "--crop", "64x64", "--width", "0.0625",
        "--workers", "0", "--val-every", "0", "--device", "cpu", "--backend", "torch"]


def train_and_predict(root: Path, run: Path, preds: Path, model: str, split: str,
                      predict_args: tuple[str, ...] = ()) -> dict:
    """``vscrowd train`` (2 steps) then ``vscrowd predict`` of ``split``; the predictions
    document."""
    invoke = CliRunner().invoke
    res = invoke(app, ["train", "--data", str(root), "--model", model, "--out", str(run),
                       *TINY])
    assert res.exit_code == 0 and "2 steps" in res.output, res.output
    res = invoke(app, ["predict", str(run / "last.pt"), "--data", str(root), "--split", split,
                       "--out", str(preds), "--threshold", "0.2", "--device", "cpu",
                       *predict_args])
    assert res.exit_code == 0, res.output
    return json.loads(preds.read_text())


def eval_frames(root: Path, preds: Path, split: str) -> int:
    """``vscrowd eval`` of ``preds`` on ``split``: the frames scored."""
    res = CliRunner().invoke(app, ["eval", str(preds), "--data", str(root), "--split", split,
                                   "--json", "-"])
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)["frames"]
