"""The training options that are a choice among names, declared once here: the
training config validates against them and the CLI offers them (this module needs no
torch)."""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["LOSS_REDUCTIONS", "OPTIMIZERS", "PRESET_NAMES", "SCHEDULERS", "LossReduction",
           "Optimizer", "Preset", "Scheduler"]

#: A recipe (``vscrowd.train.config.PRESETS`` holds what each sets): ``vscrowd`` (the
#: default) or ``paper`` (only what the paper states; docs/model.md).
Preset = Literal["vscrowd", "paper"]
PRESET_NAMES: tuple[Preset, ...] = get_args(Preset)

Optimizer = Literal["sgd", "adam"]
OPTIMIZERS: tuple[Optimizer, ...] = get_args(Optimizer)

#: How the weighted BCE is reduced over pixels and batch (the paper: ``sum``, our reading).
LossReduction = Literal["mean", "sum"]
LOSS_REDUCTIONS: tuple[LossReduction, ...] = get_args(LossReduction)

#: Learning-rate schedule after the warm-up: ``cosine`` decay to 0, or ``none`` (fixed).
Scheduler = Literal["cosine", "none"]
SCHEDULERS: tuple[Scheduler, ...] = get_args(Scheduler)
