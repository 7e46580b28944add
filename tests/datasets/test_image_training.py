"""S-GNANet on each registered image dataset's native-format copy: a 2-step ``train``,
``predict`` on the last split and ``eval`` of the result, through the CLI."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from vscrowd.cli.main import app

from vscrowd.datasets import dataset_info

pytest.importorskip("torch")


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:VGG16 backbone is randomly")
@pytest.mark.parametrize("name", ["nwpu", "shanghaitech_a", "shanghaitech_b", "qnrf", "jhu"])
def test_train_predict_eval(name, tmp_path):
    root = dataset_info(name).synth(tmp_path / name, seed=2)
    r, run = CliRunner(), tmp_path / "run"
    res = r.invoke(app, ["train", "--data", str(root), "--model", "s-gnanet", "--out",
                         str(run), "--max-steps", "2", "--batch-size", "2", "--crop", "64x64",
                         "--width", "0.0625", "--workers", "0", "--val-every", "0",
                         "--device", "cpu", "--backend", "torch"])
    assert res.exit_code == 0, res.output
    assert "2 steps" in res.output
    split = "val" if name in ("nwpu",) else "test"
    preds = tmp_path / "p.json"
    tiles = ["--tile", "64"] if name in ("nwpu", "qnrf") else []  # the giant-image path
    res = r.invoke(app, ["predict", str(run / "last.pt"), "--data", str(root), "--split",
                         split, "--out", str(preds), "--threshold", "0.2", "--device", "cpu",
                         *tiles])
    assert res.exit_code == 0, res.output
    doc = json.loads(preds.read_text())
    assert {p["video"] for p in doc["predictions"]} == {split}
    res = r.invoke(app, ["eval", str(preds), "--data", str(root), "--split", split,
                         "--json", "-"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["frames"] == len(doc["predictions"])
