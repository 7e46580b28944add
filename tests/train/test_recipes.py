"""Presets, loss reduction, validation-set selection (never on test by default)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from vscrowd.cli.main import app

from vscrowd import ConfigError, VSCrowd
from vscrowd.datasets.splits import holdout_videos, scene_key
from vscrowd.train import TrainConfig, train
from vscrowd.train.steps import make_optimizer, make_scheduler, weighted_bce
from vscrowd.train.trainer import training_views

pytestmark = pytest.mark.filterwarnings("ignore:VGG16 backbone is randomly")


def test_paper_preset_is_the_papers_recipe_and_nothing_else():
    cfg = TrainConfig.from_preset("paper").override(**{"model.width": 0.0625})
    assert cfg.preset == "paper" and cfg.batch_size == 16 and cfg.epochs == 30
    model = torch.nn.Linear(3, 1)
    opt = make_optimizer(cfg, model)
    assert type(opt) is torch.optim.SGD
    group = opt.param_groups[0]
    assert (group["lr"], group["momentum"], group["weight_decay"]) == (2e-6, 0.0, 0.0)
    sched = make_scheduler(cfg, opt, total_steps=100)
    for _ in range(60):
        opt.step()
        sched.step()
    assert sched.get_last_lr() == [2e-6]  # fixed: no warm-up, no decay
    assert cfg.optim.loss_reduction == "sum" and cfg.optim.grad_clip == 0
    assert cfg.optim.pos_weight == 50


def test_loss_reduction_sum_is_mean_times_pixels():
    logits = torch.randn(2, 1, 8, 12)
    target = (torch.rand(2, 1, 8, 12) > 0.9).float()
    mean = weighted_bce(logits, target, 50.0, "mean")
    total = weighted_bce(logits, target, 50.0, "sum")
    torch.testing.assert_close(total, mean * logits.numel())
    # pos_weight 50 weighs head pixels: a positive pixel's loss is 50x its plain BCE.
    one = torch.zeros(1, 1, 1, 1)
    assert float(weighted_bce(one, torch.ones_like(one), 50.0, "sum")) == pytest.approx(
        50 * float(torch.nn.functional.softplus(-one).sum()))


def test_presets_and_configs_record_where_they_came_from(tmp_path):
    assert TrainConfig().preset == "vscrowd"
    (tmp_path / "c.json").write_text(json.dumps({"preset": "paper", "epochs": 3}))
    cfg = TrainConfig.from_file(tmp_path / "c.json")
    assert cfg.preset == "paper" and cfg.epochs == 3 and cfg.optim.lr == 2e-6
    with pytest.raises(ConfigError, match=r"expected a preset in \['paper', 'vscrowd'\]"):
        TrainConfig.from_preset("fast")


@pytest.mark.parametrize(("doc", "match"), [
    ({"epochs": "3"}, "expected int for epochs"),
    ({"optim": {"lr": "fast"}}, "expected float for optim.lr"),
    ({"data": {"crop": [64, "x"]}}, "list of numbers for data.crop"),
    ({"optim": 3}, "expected a mapping for optim"),
    ({"amp": 1}, "expected bool for amp"),
    ({"data": {"dataset": "nwpu-crowd"}}, r"expected data.dataset in \['dronecrowd'"),
])
def test_config_value_types_are_checked(tmp_path, doc, match):
    (tmp_path / "c.json").write_text(json.dumps(doc))
    with pytest.raises(ConfigError, match=match):
        TrainConfig.from_file(tmp_path / "c.json")


def test_non_finite_learning_rates_are_refused():
    for lr in (float("nan"), float("inf"), 0.0, -1.0):
        with pytest.raises(ConfigError, match="finite lr"):
            TrainConfig().override(**{"optim.lr": lr}).validate()


def test_selection_on_test_is_refused_unless_forced():
    assert TrainConfig().data.val_split == "holdout"
    with pytest.raises(ConfigError, match="refusing to select the model on the test split"):
        TrainConfig().override(**{"data.val_split": "test"}).validate()
    forced = TrainConfig().override(**{"data.val_split": "test", "data.select_on_test": True})
    assert forced.validate().to_dict()["data"]["select_on_test"] is True


def test_cli_refuses_test_selection_and_records_forcing(synth_root, tmp_path):
    base = ["train", "--data", str(synth_root), "--max-steps", "1", "--batch-size", "2",
            "--crop", "64x96", "--width", "0.0625", "--workers", "0", "--device", "cpu",
            "--val-split", "test"]
    r = CliRunner()
    res = r.invoke(app, [*base, "--out", str(tmp_path / "a")])
    assert res.exit_code == 2 and "refusing to select" in res.stderr
    assert not (tmp_path / "a").exists()
    res = r.invoke(app, [*base, "--out", str(tmp_path / "b"), "--select-on-test"])
    assert res.exit_code == 0, res.output
    assert json.loads((tmp_path / "b" / "config.json").read_text())["data"]["select_on_test"]
    res = r.invoke(app, [*base[:-2], "--out", str(tmp_path / "c"), "--preset", "fast"])
    assert res.exit_code == 2 and "'paper'" in res.stderr and "'vscrowd'" in res.stderr


def test_cli_adam_without_lr_uses_adam_default(synth_root, tmp_path):
    res = CliRunner().invoke(app, [
        "train", "--data", str(synth_root), "--max-steps", "1", "--batch-size", "2",
        "--crop", "64x96", "--width", "0.0625", "--workers", "0", "--device", "cpu",
        "--val-every", "0", "--optimizer", "adam", "--out", str(tmp_path / "r")])
    assert res.exit_code == 0, res.output
    cfg = json.loads((tmp_path / "r" / "config.json").read_text())
    assert cfg["optim"]["lr"] == 1e-3 and cfg["clip_length"] == 3


def test_default_validation_is_a_scene_disjoint_holdout_of_train(synth_root):
    ds = VSCrowd(synth_root)
    cfg = TrainConfig().override(**{"data.root": str(synth_root), "val_every": 1}).resolved()
    train_view, val_view = training_views(cfg, ds)
    train_videos = set(train_view.videos["video"])
    val_videos = set(val_view.videos["video"])
    assert val_videos and not train_videos & val_videos
    assert set(val_view.videos["split"]) == {"train"}  # never test
    assert train_videos | val_videos == set(ds.select(split="train").videos["video"])
    off = TrainConfig().override(**{"data.root": str(synth_root), "val_every": 0}).resolved()
    assert training_views(off, ds)[1] is None  # no validation: all training videos train


def test_holdout_keeps_cuts_of_a_recording_together_and_covers_labels():
    videos = [f"{rec}_cut_{c:02d}" for rec in ("0817_1", "0817_2", "IMG_1", "IMG_2", "IMG_3")
              for c in range(1, 5)]
    held = holdout_videos(videos, 0.3, seed=1)
    recs = {scene_key(v) for v in held}
    assert all(f"{r}_cut_{c:02d}" in held for r in recs for c in range(1, 5))
    assert held == holdout_videos(videos, 0.3, seed=1)  # deterministic
    assert 0.3 * len(videos) <= len(held) < len(videos)
    labels = {v: ((0,) if v.startswith("IMG") else (1,)) for v in videos}
    held = holdout_videos(videos, 0.3, seed=1, scene_labels=labels)
    assert {labels[v] for v in held} == {(0,), (1,)}
    with pytest.raises(ConfigError, match="from 1 scene"):
        holdout_videos(["0817_1_cut_01", "0817_1_cut_02"], 0.5)


def test_training_on_the_paper_preset_runs(synth_root, tmp_path):
    cfg = TrainConfig.from_preset("paper").override(**{
        "data.root": str(synth_root), "data.crop": (64, 96), "data.workers": 0,
        "model.width": 0.0625, "model.n_samples": 4, "batch_size": 2, "max_steps": 2,
        "val_every": 0})
    res = train(cfg, tmp_path / "run")
    assert res.steps == 2 and res.last_loss > 1.0  # a sum over 2·64·96 pixels
    assert json.loads((tmp_path / "run" / "config.json").read_text())["preset"] == "paper"


def _cli_train(root, out, *extra):
    return CliRunner().invoke(app, [
        "train", "--data", str(root), "--out", str(out), "--batch-size", "2", "--crop",
        "64x96", "--width", "0.0625", "--workers", "0", "--device", "cpu", "--val-every", "0",
        *extra])


def test_resume_refuses_changes_that_change_the_run(synth_root, tmp_path):
    run = tmp_path / "run"
    assert _cli_train(synth_root, run, "--max-steps", "1").exit_code == 0
    # Flags that only say how long/where are fine; the stored config is the base.
    res = CliRunner().invoke(app, ["train", "--data", str(synth_root), "--out", str(run),
                                   "--resume", "--max-steps", "2", "--workers", "0"])
    assert res.exit_code == 0, res.output
    res = CliRunner().invoke(app, ["train", "--data", str(synth_root), "--out", str(run),
                                   "--resume", "--max-steps", "3", "--batch-size", "4",
                                   "--lr", "0.5"])
    assert res.exit_code == 2
    assert "batch_size: 2 -> 4" in res.stderr and "optim.lr: 0.01 -> 0.5" in res.stderr
    before = (run / "config.json").read_text()
    res = CliRunner().invoke(app, ["train", "--data", str(synth_root), "--out", str(run),
                                   "--resume", "--max-steps", "3", "--lr", "0.005",
                                   "--allow-changes"])
    assert res.exit_code == 0, res.output
    recorded = json.loads((run / "config.json").read_text())["resume_changes"]
    assert recorded == ["optim.lr: 0.01 -> 0.005"] and before != (run / "config.json").read_text()
    res = CliRunner().invoke(app, ["train", "--data", str(synth_root), "--out", str(run),
                                   "--resume", "--preset", "paper"])
    assert res.exit_code == 2 and "--resume continues" in res.stderr


def test_paper_preset_leaves_out_what_the_paper_does_not_say():
    from vscrowd.train.config import PAPER_SILENT

    cfg = TrainConfig.from_preset("paper")
    assert cfg.data.scale == (1.0, 1.0) and cfg.data.flip == 0 and cfg.data.jitter == 0
    assert cfg.amp is False and cfg.val_every == 0  # no autocast, no hold-out
    flat = json.dumps(cfg.to_dict())
    for key in PAPER_SILENT:  # every silent choice is a visible option
        node = cfg.to_dict()
        for part in key.split("."):
            node = node[part]
        assert part in flat
    # The vscrowd recipe keeps its augmentation.
    v = TrainConfig()
    assert v.data.flip == 0.5 and v.data.jitter == 0.2 and v.data.scale == (0.8, 1.2)


def test_train_transform_without_flip_and_jitter_only_crops():
    from vscrowd.data.transforms import ColorJitter, RandomFlip, train_transform

    steps = train_transform((64, 64), (1.0, 1.0), 0.0, 0.0).transforms
    assert not any(isinstance(t, (RandomFlip, ColorJitter)) for t in steps)
    steps = train_transform((64, 64)).transforms
    assert any(isinstance(t, RandomFlip) for t in steps)


def test_silent_options_have_switches_recorded_in_config_json(synth_root, tmp_path):
    out = tmp_path / "run"
    r = CliRunner().invoke(app, [
        "train", "--data", str(synth_root), "--out", str(out), "--preset", "paper",
        "--width", "0.0625", "--crop", "64x96", "--batch-size", "2", "--max-steps", "1",
        "--workers", "0", "--scale", "0.9,1.1", "--flip", "0.5", "--jitter", "0.1",
        "--amp", "--loss-reduction", "mean", "--device", "cpu"])
    assert r.exit_code == 0, r.output
    cfg = json.loads((out / "config.json").read_text())
    assert cfg["preset"] == "paper" and cfg["optim"]["lr"] == 2e-6
    assert cfg["data"]["scale"] == [0.9, 1.1] and cfg["data"]["flip"] == 0.5
    assert cfg["data"]["jitter"] == 0.1 and cfg["amp"] is True
    assert cfg["optim"]["loss_reduction"] == "mean"
    bad = CliRunner().invoke(app, ["train", "--data", str(synth_root), "--out", str(out),
                                   "--scale", "1.2,0.8"])
    assert bad.exit_code == 2 and "LO <= HI" in bad.output


def test_post_processing_chosen_on_validation_and_stored(synth_root, tmp_path):
    from vscrowd.train.checkpoint import load_checkpoint

    cfg = TrainConfig().override(**{
        "data.root": str(synth_root), "data.crop": (64, 96), "data.workers": 0,
        "model.width": 0.0625, "model.n_samples": 4, "model.eval_samples": 1,
        "batch_size": 2, "epochs": 1, "val_every": 1, "optim.optimizer": "adam",
        "optim.lr": 2e-3, "post.score_floor": 0.0})
    train(cfg, tmp_path / "run")
    stored = json.loads((tmp_path / "run" / "config.json").read_text())["post"]
    assert stored["chosen_on"].startswith("NMS radius") and "best.pt" in stored["chosen_on"]
    assert "minimum count MAE" in stored["chosen_on"]
    for name in ("best.pt", "last.pt"):
        assert load_checkpoint(tmp_path / "run" / name)["config"]["post"] == stored
    # The stored threshold is the MAE minimiser over the validation predictions.
    from vscrowd.data import VSCrowdClips
    from vscrowd.eval import GroundTruth, evaluate
    from vscrowd.train.predict import load_trained_model
    from vscrowd.train.steps import validation_records

    model, run_cfg, _ = load_trained_model(tmp_path / "run")
    _, val_view = training_views(run_cfg, VSCrowd(synth_root))
    val_ds = VSCrowdClips(val_view, None, run_cfg.clip_length, 1, target="points")
    preds = validation_records(model, val_ds, run_cfg, "cpu", 0, 1)
    gt = GroundTruth.from_dataset(val_view)
    mae = [evaluate(gt, preds, sigmas=[20], count_threshold=t).counting.mae
           for t in (0.0, 0.01, 0.1, 0.3, 0.5, 0.9, 1.01)]
    chosen = evaluate(gt, preds, sigmas=[20],
                      count_threshold=stored["count_threshold"]).counting.mae
    assert chosen <= min(mae) + 1e-9
    # The stored NMS radius has the best mean σ-mAP of the candidates on validation.
    from vscrowd.models.postprocess import NMS_CANDIDATES
    from vscrowd.train.steps import validation_records_by_radius

    by_radius = validation_records_by_radius(model, val_ds, run_cfg, "cpu", 0, 1,
                                             NMS_CANDIDATES)
    quality = {r: np.mean([x.map for x in evaluate(gt, p, sigmas=[5, 20, 40]).localization])
               for r, p in by_radius.items()}
    assert stored["nms_radius"] in NMS_CANDIDATES
    assert quality[stored["nms_radius"]] >= max(quality.values()) - 1e-12


def test_old_configs_with_a_peak_threshold_still_load():
    # vscrowd <= 0.1 stored "threshold" (on the smoothed map); the post defaults replace it.
    cfg = TrainConfig.from_dict({"threshold": 0.5, "epochs": 2})
    assert cfg.epochs == 2 and cfg.post.count_threshold == 0.5 and cfg.post.chosen_on == ""
    with pytest.raises(ConfigError, match="score_floor"):
        TrainConfig.from_dict({"post": {"score_floor": 2.0}}).validate()
