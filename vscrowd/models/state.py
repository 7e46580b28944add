"""Strict weight loading with messages that say what does not fit and why."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import torch

from ..errors import CheckpointError

__all__ = ["load_state_strict"]

# Key patterns of layouts that earlier vscrowd versions wrote, with the option that
# builds a model of that layout (so the message can say how to load such weights).
_LAYOUT_HINTS = (
    ("backbone.features.24.", "backbone='vgg16-13conv' (VGG16's 13 convs, pool4 removed)"),
    ("_gna.q_proj.", "projections=True (learned 1x1 Q/K/V projections in each GNA)"),
)


def load_state_strict(model: torch.nn.Module, state: Mapping[str, torch.Tensor],
                      path: str | Path) -> None:
    """``model.load_state_dict(state)`` that lists missing, unexpected and mismatched keys
    and names the model option that would fit a known older layout.

    Raises:
        CheckpointError: Any key or shape mismatch, or entries that are not tensors.
    """
    not_tensors = sorted(k for k, v in state.items() if not isinstance(v, torch.Tensor))
    if not_tensors:
        raise CheckpointError(f"{path}: model state entries that are not tensors: "
                              f"{not_tensors[:5]}")
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}" for k in own
              if k in state and state[k].shape != own[k].shape]
    if missing or unexpected or shapes:
        hints = [hint for pattern, hint in _LAYOUT_HINTS
                 if any(pattern in k for k in unexpected)]
        advice = f"; it fits a model built with {' and '.join(hints)}" if hints else ""
        raise CheckpointError(
            f"{path} was saved from another model/config: missing {missing[:5]}, "
            f"unexpected {unexpected[:5]}, shape mismatches {shapes[:3]}{advice}")
    model.load_state_dict(state)
