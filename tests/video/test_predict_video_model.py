"""``predict_video`` with a trained model equals ``vscrowd predict`` on the dataset."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch", reason="the trained-model path needs torch (the torch extra)")

from vscrowd.eval import read_predictions
from vscrowd.train import TrainConfig, predict, train
from vscrowd.video import predict_video


@pytest.fixture(scope="module")
def run(synth_root, tmp_path_factory):
    cfg = TrainConfig().override(**{
        "data.root": str(synth_root), "data.crop": (64, 96), "data.workers": 0,
        "model.name": "gnanet", "model.width": 0.0625, "model.n_samples": 4,
        "model.eval_samples": 1, "batch_size": 4, "val_every": 0, "max_steps": 2,
        "optim.optimizer": "adam", "optim.lr": 2e-3})
    out = tmp_path_factory.mktemp("vrun") / "run"
    train(cfg, out)
    return out


@pytest.mark.filterwarnings("ignore:VGG16 backbone is randomly")
def test_model_on_a_folder_of_frames_equals_dataset_predict(run, synth_root, tmp_path):
    ref = predict(run / "last.pt", synth_root, score_floor=0.005)
    res = predict_video(run / "last.pt", synth_root / "videos" / "test_001",
                        tmp_path / "p.jsonl", score_floor=0.005)
    got = read_predictions(tmp_path / "p.jsonl")
    assert res.frames == 6 and "gnanet" in res.method and len(got) > 0
    for row in range(len(got.frames)):
        frame = got.frames["frame"].iat[row]
        want = ref.in_frame(ref.resolver().row("test_001", frame))
        here = got.in_frame(row)
        np.testing.assert_allclose(here.xy, want.xy, atol=0.006)
        np.testing.assert_allclose(here.score, want.score, atol=6e-5)


@pytest.mark.filterwarnings("ignore:VGG16 backbone is randomly")
def test_model_every_and_scale(run, synth_root, tmp_path):
    res = predict_video(run / "last.pt", synth_root / "videos" / "test_001",
                        tmp_path / "p.jsonl", score_floor=0.005, every=4, scale=0.5)
    got = read_predictions(tmp_path / "p.jsonl")
    assert got.frames["frame"].tolist() == ["1", "5"] and res.frames == 2
    assert got.xy[:, 0].max() > 80  # mapped back: the half-size frames are 80 px wide
