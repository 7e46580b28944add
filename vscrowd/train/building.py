"""The model a training config describes (used by training, prediction and export)."""

from __future__ import annotations

from typing import Any

import torch

from ..models import build_model
from .config import TrainConfig

__all__ = ["build_model_from_config", "model_options"]


def model_options(cfg: TrainConfig) -> dict[str, Any]:
    """``build_model(cfg.model.name, **model_options(cfg))`` builds the configured model
    (backbone weights excluded: they are an initialisation, not part of the model).
    ``cfg`` must be resolved (:meth:`TrainConfig.resolved`)."""
    m = cfg.model
    opts: dict[str, Any] = {
        "width": m.width, "clip_length": cfg.clip_length, "n_samples": m.n_samples,
        "eval_samples": m.eval_samples, "chunk_size": m.chunk_size, "backbone": m.backbone,
        "border": m.border, "projections": m.projections, "backend": m.backend}
    if m.gammas is not None:
        opts["gammas"] = tuple(m.gammas)
    return opts


def build_model_from_config(cfg: TrainConfig) -> torch.nn.Module:
    """The model a config describes (also used by ``predict``)."""
    cfg = cfg.resolved()
    return build_model(cfg.model.name, **model_options(cfg),
                       backbone_weights=cfg.model.backbone_weights)
