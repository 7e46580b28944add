"""Checkpoints: written atomically, read with clear errors."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import torch

from .._io import atomic_write_bytes
from .._version import __version__
from ..errors import CheckpointError

__all__ = ["CHECKPOINT_FORMAT", "load_checkpoint", "load_model_state", "save_checkpoint"]

CHECKPOINT_FORMAT = "vscrowd-checkpoint-1"


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> Path:
    """Serialise to memory, then temp file + fsync + rename: a crash never leaves a
    truncated checkpoint, and the previous one stays until the new one is complete."""
    buf = io.BytesIO()
    torch.save({"format": CHECKPOINT_FORMAT, "vscrowd_version": __version__, **payload}, buf)
    atomic_write_bytes(path, buf.getvalue())
    return Path(path)


def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`.

    Raises:
        CheckpointError: Missing, truncated, corrupt or not a vscrowd checkpoint.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"no checkpoint at {path}")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as exc:
        raise CheckpointError(f"{path} is corrupt or truncated ({type(exc).__name__}: "
                              f"{str(exc)[:120]}); earlier checkpoints in its folder are "
                              "untouched") from exc
    if not isinstance(ckpt, dict) or ckpt.get("format") != CHECKPOINT_FORMAT:
        raise CheckpointError(f"{path} is not a vscrowd checkpoint (expected format "
                              f"{CHECKPOINT_FORMAT!r})")
    return ckpt


def load_model_state(model: torch.nn.Module, state: dict[str, torch.Tensor], path) -> None:
    """Strict load with a message that lists the mismatching keys."""
    own = model.state_dict()
    missing = sorted(set(own) - set(state))
    unexpected = sorted(set(state) - set(own))
    shapes = [f"{k} {tuple(state[k].shape)} vs {tuple(own[k].shape)}" for k in own
              if k in state and state[k].shape != own[k].shape]
    if missing or unexpected or shapes:
        raise CheckpointError(
            f"{path} was saved from another model/config: missing {missing[:5]}, "
            f"unexpected {unexpected[:5]}, shape mismatches {shapes[:3]}")
    model.load_state_dict(state)
