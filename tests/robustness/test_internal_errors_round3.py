"""Issue 31, items 11 and 12: what ended as an internal error (exit 1, a traceback)
is one clear line and exit 2; what the model card copies is escaped."""

from __future__ import annotations

import json
import shutil
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner
from vscrowd.cli.main import app

from vscrowd import synthesize
from vscrowd.errors import VSCrowdWarning


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return synthesize(tmp_path_factory.mktemp("ie") / "data", videos=2, frames=2,
                      size=(64, 48), seed=9)


def _one_line(argv, *says: str) -> None:
    res = CliRunner().invoke(app, [str(a) for a in argv])
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1, res.stderr
    for s in says:
        assert s in errors[0], (s, errors[0])


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_a_5000_digit_number_in_predictions(data, tmp_path, suffix):
    rec = '{"video": "test_001", "frame": "0001", "points": [[' + "9" * 5000 + ', 1, 1]]}'
    text = ('{"predictions": [' + rec + "]}") if suffix == ".json" else rec + "\n"
    (tmp_path / f"p{suffix}").write_text(text)
    _one_line(["eval", tmp_path / f"p{suffix}", "--data", data], f"p{suffix}")


def test_train_out_an_existing_file(data, tmp_path):
    (tmp_path / "run").write_text("mine")
    _one_line(["train", "--data", data, "--out", tmp_path / "run", "--max-steps", "1",
               "--width", "0.05", "--device", "cpu"], "run", "not a folder")
    assert (tmp_path / "run").read_text() == "mine"


def test_convert_yolo_warns_about_an_empty_frame_image(data, tmp_path):
    from vscrowd import VSCrowd
    from vscrowd.datasets.convert import convert

    root = tmp_path / "root"
    shutil.copytree(data, root)
    frame = sorted((root / "videos").rglob("*.jpg"))[1]
    frame.write_bytes(b"")
    with pytest.warns(VSCrowdWarning, match="1 frame image.* empty"):
        convert(VSCrowd(root, cache=False), "yolo", tmp_path / "yolo")


def test_the_model_card_escapes_what_it_copies(data, tmp_path):
    pytest.importorskip("torch")
    from vscrowd.train.config import TrainConfig
    from vscrowd.train.export import _model_card

    cfg = TrainConfig().override(**{"data.root": "/data\n# Injected\n[x](http://e.vil)"})
    training = {"data_root": cfg.data.root, "train_split": "train`\n- item",
                "val_split": "holdout", "checkpoint": "best.pt", "steps": 1, "epochs": 1,
                "preset": "vscrowd", "selected_by": "final weights"}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        card = _model_card(cfg, training, None, "fp32")
    lines = card.splitlines()
    assert not any(ln.startswith("# Injected") or ln.startswith("- item") for ln in lines)
    assert "[x](http" not in card
    assert json.dumps(card)  # still text
