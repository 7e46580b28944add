from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from vscrowd.cli.main import app


@pytest.mark.filterwarnings("ignore:VGG16 backbone is randomly")
def test_train_predict_eval_end_to_end(synth_root, tmp_path):
    r = CliRunner()
    run = tmp_path / "run"
    res = r.invoke(app, ["train", "--data", str(synth_root), "--model", "s-gnanet", "--out",
                         str(run), "--max-steps", "3", "--batch-size", "2", "--crop", "64x96",
                         "--width", "0.0625", "--workers", "0", "--val-every", "0",
                         "--device", "cpu", "--backend", "torch", "--deterministic"])
    assert res.exit_code == 0, res.output
    assert (run / "last.pt").exists() and "3 steps" in res.output
    stored = json.loads((run / "config.json").read_text())
    assert stored["deterministic"] is True and stored["model"]["backend"] == "torch"
    preds = tmp_path / "p.json"
    res = r.invoke(app, ["predict", str(run / "last.pt"), "--data", str(synth_root), "--out",
                         str(preds), "--threshold", "0.2", "--score-floor", "0.01",
                         "--device", "cpu"])
    assert res.exit_code == 0, res.output
    doc = json.loads(preds.read_text())
    assert doc["format"] == "vscrowd-predictions" and len(doc["predictions"]) == 6
    assert "score floor 0.01, count threshold 0.2" in doc["method"]
    assert all(p[2] >= 0.01 for r in doc["predictions"] for p in r["points"])
    bad = r.invoke(app, ["predict", str(run / "last.pt"), "--data", str(synth_root),
                         "--out", str(preds), "--threshold", "1.5", "--device", "cpu"])
    assert bad.exit_code == 2 and "count_threshold in [0, 1]" in bad.output
    tiles = tmp_path / "tiles.json"  # 160x96 frames in 64 px tiles (giant-image path)
    res = r.invoke(app, ["predict", str(run / "last.pt"), "--data", str(synth_root), "--out",
                         str(tiles), "--tile", "64", "--device", "cpu"])
    assert res.exit_code == 0, res.output
    assert len(json.loads(tiles.read_text())["predictions"]) == 6
    bad = r.invoke(app, ["predict", str(run / "last.pt"), "--data", str(synth_root),
                         "--out", str(tiles), "--tile", "12", "--device", "cpu"])
    assert bad.exit_code == 2 and "tile to be a positive multiple of 8" in bad.output
    res = r.invoke(app, ["eval", str(preds), "--data", str(synth_root), "--json", "-"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["frames"] == 6


def test_train_bad_input_exit_2(synth_root, tmp_path):
    r = CliRunner()
    res = r.invoke(app, ["train", "--data", str(synth_root), "--out", str(tmp_path / "r"),
                         "--crop", "60x64"])
    assert res.exit_code == 2 and "multiples of 8" in res.output
    res = r.invoke(app, ["train", "--data", str(synth_root), "--out", str(tmp_path / "r"),
                         "--backend", "cuda"])
    assert res.exit_code == 2 and "'cuda' is not one of" in res.output
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"garbage")
    res = r.invoke(app, ["predict", str(bad), "--data", str(synth_root), "--out",
                         str(tmp_path / "p.json")])
    assert res.exit_code == 2 and "corrupt or truncated" in res.output
