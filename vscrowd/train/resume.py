"""A run's state in a checkpoint: what is saved, and how a resume reads it back.

Resume is exact: data order and augmentations are functions of (seed, epoch, index),
and every RNG's state is saved, as plain data so that the checkpoint loads with
``weights_only=True``.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist

from ..errors import CheckpointError, ConfigError
from ..models.state import load_state_strict
from .checkpoint import load_checkpoint, require_keys, save_checkpoint
from .config import TrainConfig, config_changes

__all__ = ["TrainState", "apply_resume", "read_resume", "resume_config", "rng_state",
           "save_run", "set_rng_state"]

logger = logging.getLogger(__name__)


@dataclass
class TrainState:
    """Where a run is (mutable: the loop advances it)."""

    epoch: int = 0
    step: int = 0
    batch_in_epoch: int = 0
    best: float = -1.0
    history: list[dict[str, Any]] = field(default_factory=list)


def rng_state() -> dict[str, Any]:
    """Every RNG's state as plain data (tensors, ints, lists)."""
    _, keys, pos, has_gauss, cached = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {"keys": torch.from_numpy(keys.astype(np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
        "python": {"version": version, "internal": list(internal), "gauss_next": gauss_next},
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def set_rng_state(state: dict[str, Any]) -> None:
    """Restore what :func:`rng_state` returned."""
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state(("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"],
                         n["has_gauss"], n["cached_gaussian"]))
    p = state["python"]
    random.setstate((p["version"], tuple(p["internal"]), p["gauss_next"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def save_run(path: Path, model, opt, sched, state: TrainState, cfg: TrainConfig,
             world: int) -> None:
    """Checkpoint the run (rank 0 writes; every rank's RNG state is gathered)."""
    rngs = [rng_state()]
    if world > 1:
        rngs = [None] * world
        dist.all_gather_object(rngs, rng_state())
    if world > 1 and dist.get_rank() != 0:
        return
    core = model.module if hasattr(model, "module") else model
    save_checkpoint(path, {
        "model_name": cfg.model.name, "model": core.state_dict(),
        "optimizer": opt.state_dict(), "scheduler": sched.state_dict(),
        "epoch": state.epoch, "step": state.step, "batch_in_epoch": state.batch_in_epoch,
        "best": state.best, "history": state.history, "rng": rngs,
        "config": cfg.to_dict(), "world_size": world,
    })


#: What a resume reads from a checkpoint, with types (validated before use).
_RESUME_KEYS: dict[str, type | tuple[type, ...]] = {
    "model_name": str, "optimizer": dict, "scheduler": dict, "epoch": int, "step": int,
    "batch_in_epoch": int, "best": (int, float), "history": list, "rng": list}


def resume_config(out_dir: str | Path) -> TrainConfig:
    """The resolved config stored in ``out_dir/last.pt`` (the base of ``--resume``)."""
    path = Path(out_dir) / "last.pt"
    try:
        return TrainConfig.from_dict(load_checkpoint(path)["config"])
    except ConfigError as exc:
        raise CheckpointError(f"{path}: its config is not valid here ({exc})") from exc


def read_resume(path: Path, cfg: TrainConfig, allow_changes: bool
                ) -> tuple[dict[str, Any], TrainConfig]:
    """The validated checkpoint to resume from (read before anything is written) and
    ``cfg`` with any accepted changes recorded."""
    ckpt = load_checkpoint(path)
    require_keys(ckpt, _RESUME_KEYS, path)
    if ckpt["model_name"] != cfg.model.name:
        raise CheckpointError(f"{path} holds a {ckpt['model_name']!r} model, expected "
                              f"{cfg.model.name!r}")
    try:
        old = TrainConfig.from_dict(ckpt["config"]).resolved()
    except ConfigError as exc:
        raise CheckpointError(f"{path}: its config is not valid here ({exc})") from exc
    changes = config_changes(old, cfg)
    if changes and not allow_changes:
        raise ConfigError(f"--resume would change the run stored in {path}: "
                          f"{'; '.join(changes)}; pass --allow-changes to accept (recorded "
                          "in config.json), or resume without those options")
    if changes:
        logger.warning("resuming with changed options: %s", "; ".join(changes))
        cfg = replace(cfg, resume_changes=(*cfg.resume_changes, *changes))
    return ckpt, cfg


def apply_resume(ckpt: dict[str, Any], path: Path, model, opt, sched, state: TrainState,
                 rank: int) -> None:
    """Load a :func:`read_resume` checkpoint into the run's objects."""
    load_state_strict(model, ckpt["model"], path)
    try:
        opt.load_state_dict(ckpt["optimizer"])
        sched.load_state_dict(ckpt["scheduler"])
    except (KeyError, ValueError, TypeError) as exc:
        raise CheckpointError(f"{path}: optimizer/scheduler state does not fit this run "
                              f"({type(exc).__name__}: {exc})") from exc
    state.epoch, state.step = ckpt["epoch"], ckpt["step"]
    state.batch_in_epoch, state.best = ckpt["batch_in_epoch"], ckpt["best"]
    state.history = ckpt["history"]
    rngs = ckpt["rng"]
    try:
        set_rng_state(rngs[rank] if rank < len(rngs) else rngs[0])
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise CheckpointError(f"{path}: RNG state is malformed ({type(exc).__name__}: "
                              f"{exc})") from exc
