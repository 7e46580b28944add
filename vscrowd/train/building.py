"""The model a training config describes (used by training, prediction and export)."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import torch

from ..errors import ConfigError
from ..models import build_model, model_defaults
from ..models.registry import builder_options
from .config import ModelConfig, TrainConfig

__all__ = ["build_model_from_config", "model_options"]


#: ModelConfig fields that are not options of the model itself.
_NOT_OPTIONS = ("name", "backbone_weights", "options")


def model_options(cfg: TrainConfig) -> dict[str, Any]:
    """``build_model(cfg.model.name, **model_options(cfg))`` builds the configured model
    (backbone weights excluded: they are an initialisation, not part of the model).
    ``cfg`` must be resolved (:meth:`TrainConfig.resolved`).

    Options pass through as timm passes them: the typed ``model.*`` fields, the
    clip length and the free-form ``model.options`` mapping, None dropped (the model's
    own default). A builder that takes ``**options`` gets them all; one with named
    parameters gets those it names, and a field it does not take is dropped while it
    holds its default, an error once it was set (so a non-GNANet model registers and
    trains without GNANet's options, and nothing set is ignored in silence).

    Raises:
        ConfigError: An option set for a model that does not take it.
    """
    m = cfg.model
    given: dict[str, Any] = {f.name: getattr(m, f.name) for f in fields(m)
                             if f.name not in _NOT_OPTIONS}
    given["clip_length"] = cfg.clip_length
    if given.get("gammas") is not None:
        given["gammas"] = tuple(given["gammas"])
    given.update(m.options)
    given = {k: v for k, v in given.items() if v is not None}
    takes = builder_options(m.name)
    if takes is None:
        return given
    defaults = {**{f.name: f.default for f in fields(ModelConfig)},
                "clip_length": model_defaults(m.name).get("clip_length", 3)}
    unset = {k for k, v in given.items() if k not in m.options and defaults.get(k) == v}
    refused = sorted(k for k in given if k not in takes and k not in unset)
    if refused:
        raise ConfigError(f"model {m.name!r} does not take the option(s) {refused} (it "
                          f"takes {sorted(takes)})")
    return {k: v for k, v in given.items() if k in takes}


def build_model_from_config(cfg: TrainConfig) -> torch.nn.Module:
    """The model a config describes (also used by ``predict``)."""
    cfg = cfg.resolved()
    options = model_options(cfg)
    weights = cfg.model.backbone_weights
    if weights is not None:  # an initialisation, for the models that have a backbone
        takes = builder_options(cfg.model.name)
        if takes is not None and "backbone_weights" not in takes:
            raise ConfigError(f"model {cfg.model.name!r} takes no backbone weights")
        options["backbone_weights"] = weights
    return build_model(cfg.model.name, **options)
