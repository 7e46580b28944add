"""Model options pass through to any registered model (timm style), and every choice
among names is declared once (vscrowd.choices)."""

from __future__ import annotations

import typing

import pytest
import torch
from click.testing import CliRunner
from torch import nn
from vscrowd.cli.main import app

from vscrowd import ConfigError, choices
from vscrowd.models import registry
from vscrowd.train import TrainConfig, predict, train
from vscrowd.train.building import build_model_from_config, model_options
from vscrowd.train.config import PRESETS, ModelConfig, OptimConfig


class _Tiny(nn.Module):
    """Not a GNANet: the middle frame through two convolutions."""

    def __init__(self, hidden: int) -> None:
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, hidden, 3, padding=1), nn.ReLU(),
                                  nn.Conv2d(hidden, 1, 1))

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        return self.body(clip[:, clip.shape[1] // 2])


@pytest.fixture
def tiny(monkeypatch):
    """A model registered for one test (the registry is restored after)."""
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    monkeypatch.setattr(registry, "_DEFAULTS", dict(registry._DEFAULTS))

    @registry.register_model("tiny-test", clip_length=1)
    def build(clip_length: int = 1, hidden: int = 4) -> _Tiny:
        assert clip_length == 1
        return _Tiny(hidden)

    return "tiny-test"


def test_a_model_that_is_not_a_gnanet_registers_trains_and_predicts(tiny, synth_root,
                                                                     tmp_path):
    cfg = TrainConfig().override(**{
        "data.root": str(synth_root), "model.name": tiny, "model.options": {"hidden": 3},
        "data.crop": (64, 96), "data.workers": 0, "batch_size": 2, "max_steps": 2,
        "val_every": 0, "optim.optimizer": "adam", "optim.lr": 1e-3})
    assert model_options(cfg.resolved()) == {"clip_length": 1, "hidden": 3}
    model = build_model_from_config(cfg)
    assert isinstance(model, _Tiny) and model.body[0].out_channels == 3
    train(cfg, tmp_path / "run")
    preds = predict(tmp_path / "run", synth_root, split="test")
    assert len(preds.frames) > 0 and preds.score is not None
    # Shared as safetensors and built back by name, with its own options.
    from vscrowd.models import from_pretrained
    from vscrowd.train import export_model

    back = from_pretrained(export_model(tmp_path / "run", tmp_path / "model"))
    assert isinstance(back, _Tiny) and back.body[0].out_channels == 3


def test_an_option_set_for_a_model_that_does_not_take_it_is_an_error(tiny):
    cfg = TrainConfig().override(**{"model.name": tiny, "model.width": 0.5})
    with pytest.raises(ConfigError, match=r"does not take the option\(s\) \['width'\]"):
        model_options(cfg.resolved())
    cfg = TrainConfig().override(**{"model.name": tiny, "model.options": {"depth": 2}})
    with pytest.raises(ConfigError, match="depth"):
        model_options(cfg.resolved())


@pytest.mark.filterwarnings("ignore:VGG16 backbone is randomly initialised")
def test_gnanet_takes_every_option_and_none_means_the_models_default():
    cfg = TrainConfig().override(**{"model.width": 0.0625, "model.options": {"heads": 1}})
    opts = model_options(cfg.resolved())
    assert opts["heads"] == 1 and opts["width"] == 0.0625 and "gammas" not in opts
    assert build_model_from_config(cfg).config.heads == 1


def test_cli_model_option(tmp_path, synth_root, tiny):
    r = CliRunner().invoke(app, ["train", "--data", str(synth_root), "--out",
                                 str(tmp_path / "run"), "--model", tiny, "--model-option",
                                 "hidden=2", "--max-steps", "1", "--crop", "64x96",
                                 "--batch-size", "2", "--workers", "0", "--val-every", "0"])
    assert r.exit_code == 0, r.output
    bad = CliRunner().invoke(app, ["train", "--data", str(synth_root), "--out",
                                   str(tmp_path / "bad"), "--model-option", "no_equals"])
    assert bad.exit_code == 2 and "KEY=VALUE" in bad.output


def test_each_choice_is_declared_once_and_offered_as_declared():
    assert tuple(PRESETS) == choices.PRESET_NAMES
    train_cmd = app.commands["train"]
    offered = {p.name: tuple(p.type.choices) for p in train_cmd.params
               if hasattr(p.type, "choices")}
    assert offered["preset"] == choices.PRESET_NAMES
    assert offered["optimizer"] == choices.OPTIMIZERS
    assert offered["loss_reduction"] == choices.LOSS_REDUCTIONS
    assert offered["border"] == choices.BORDER_POLICIES
    assert offered["backend"] == choices.BACKENDS
    assert offered["backbone"] == choices.BACKBONE_NAMES
    assert offered["device"] == choices.DEVICES
    # The config's fields are typed with the same Literals.
    hints = typing.get_type_hints(ModelConfig)
    assert typing.get_args(hints["backend"]) == choices.BACKENDS
    assert typing.get_args(hints["border"]) == choices.BORDER_POLICIES
    assert typing.get_args(typing.get_type_hints(OptimConfig)["optimizer"]) == \
        choices.OPTIMIZERS


def test_a_config_is_validated_when_made():
    with pytest.raises(ConfigError, match="model.border"):
        TrainConfig().override(**{"model.border": "wrap"})
    with pytest.raises(ConfigError, match="crop"):
        TrainConfig(data=TrainConfig().data.__class__(crop=(30, 40)))
