"""``train(config, out_dir)``: the training loop, read top to bottom as small helpers.

Single process or ``torchrun --nproc_per_node K`` (DistributedDataParallel; gloo on
CPU, NCCL on CUDA). Resume is exact in data order, RNG and optimiser state; the
parameters match bit for bit on CPU, and on CUDA with ``deterministic`` (otherwise up
to the float noise of non-deterministic kernels: docs/model.md).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, DistributedSampler

from .._io import atomic_write_text, check_output_folder
from .._optional import optional_module
from ..data import VSCrowdClips, collate, train_transform
from ..datasets.registry import open as open_registered
from ..datasets.splits import holdout_videos
from ..datasets.vscrowd import VSCrowd
from ..errors import ConfigError, VSCrowdError
from ..eval import GroundTruth
from .building import build_model_from_config, model_options
from .calibrate import calibrate_run
from .config import HOLDOUT, NO_CUDA, TrainConfig
from .resume import TrainState, apply_resume, read_resume, resume_config, save_run
from .steps import make_optimizer, make_scheduler, train_step, validate

__all__ = ["TrainResult", "build_model_from_config", "model_options", "resume_config", "train",
           "training_views"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainResult:
    """What a run produced."""

    out_dir: Path
    steps: int
    epochs_done: int
    best_map20: float | None
    interrupted: bool
    last_loss: float | None


class _ResumableSampler(DistributedSampler):
    """A DistributedSampler that can start part-way through an epoch."""

    def __init__(self, dataset, num_replicas, rank, seed) -> None:
        super().__init__(dataset, num_replicas=num_replicas, rank=rank, shuffle=True,
                         seed=seed, drop_last=True)
        self.skip = 0

    def __iter__(self) -> Iterator[int]:
        it = list(super().__iter__())
        return iter(it[self.skip:])

    def __len__(self) -> int:
        return super().__len__() - self.skip


# ---------------------------------------------------------------------- setup
def _init_distributed() -> tuple[int, int, int]:
    """(rank, world_size, local_rank); initialises the process group under torchrun."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and not dist.is_initialized():
        backend = "nccl" if torch.cuda.is_available() else "gloo"
        dist.init_process_group(backend)
    if world > 1:
        return dist.get_rank(), world, int(os.environ.get("LOCAL_RANK", "0"))
    return 0, 1, 0


def _device(cfg: TrainConfig, local_rank: int) -> torch.device:
    if cfg.device == "cuda" or (cfg.device == "auto" and torch.cuda.is_available()):
        if not torch.cuda.is_available():
            raise ConfigError(NO_CUDA)
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


@contextlib.contextmanager
def _determinism(on: bool) -> Iterator[None]:
    """Deterministic algorithms for the run (restored afterwards: ``train`` is a library
    call). cuBLAS needs its workspace setting before its first use in the process."""
    if not on:
        yield
        return
    saved = (torch.are_deterministic_algorithms_enabled(), torch.backends.cudnn.deterministic,
             torch.backends.cudnn.benchmark)
    os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
    torch.use_deterministic_algorithms(True)
    torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = True, False
    try:
        yield
    except RuntimeError as exc:
        if "deterministic" not in str(exc):
            raise
        raise ConfigError(f"--deterministic: {str(exc).splitlines()[0]}") from exc
    finally:
        torch.use_deterministic_algorithms(saved[0])
        torch.backends.cudnn.deterministic, torch.backends.cudnn.benchmark = saved[1:]


def _seed_everything(seed: int, rank: int) -> None:
    random.seed(seed + rank)
    np.random.seed((seed + rank) % 2**32)
    torch.manual_seed(seed + rank)


def training_views(cfg: TrainConfig, ds: VSCrowd) -> tuple[VSCrowd, VSCrowd | None]:
    """(training videos, validation videos or None): the hold-out, when validating,
    comes out of the training split and is scene-disjoint from what remains."""
    d = cfg.data
    for split in (d.train_split, None if d.val_split == HOLDOUT else d.val_split):
        if split and split not in ds.splits:
            raise ConfigError(f"data root {d.root} has no split {split!r} (found {ds.splits})")
    train_view = ds.select(split=d.train_split)
    if not (cfg.val_every and d.val_split):
        return train_view, None
    if d.val_split != HOLDOUT:
        return train_view, ds.select(split=d.val_split)
    labels = (dict(zip(train_view.videos["video"], train_view.videos["scene_labels"]))
              if "scene_labels" in train_view.videos else None)
    names = train_view.videos["video"].tolist()
    held = holdout_videos(names, d.val_fraction, seed=cfg.seed, scene_labels=labels)
    held_set = set(held)
    return (ds.select(videos=[v for v in names if v not in held_set]),
            ds.select(videos=held))


def _datasets(cfg: TrainConfig) -> tuple[VSCrowdClips, VSCrowdClips | None, VSCrowd | None]:
    train_view, val_view = training_views(cfg, open_registered(cfg.data.root,  # any layout
                                                               cfg.data.dataset))
    train_ds = VSCrowdClips(train_view, None, cfg.clip_length, cfg.data.clip_stride,
                            train_transform(tuple(cfg.data.crop), tuple(cfg.data.scale),
                                            cfg.data.flip, cfg.data.jitter),
                            cache_frames=cfg.data.cache_frames, seed=cfg.seed)
    val_ds = None
    if val_view is not None:
        val_ds = VSCrowdClips(val_view, None, cfg.clip_length, cfg.data.clip_stride,
                              target="points", cache_frames=cfg.data.cache_frames)
    return train_ds, val_ds, val_view


def _batches(loader) -> Iterator[Any]:
    """The loader's batches. A data-loader worker's vscrowd error is re-raised with its
    own one-line message (torch wraps it in the worker's whole traceback)."""
    it = iter(loader)
    while True:
        try:
            batch = next(it)
        except StopIteration:
            return
        except VSCrowdError as exc:
            text = str(exc).strip()
            if "Original Traceback" not in text:
                raise
            last = text.splitlines()[-1]
            raise type(exc)(last.split(": ", 1)[-1]) from None
        yield batch


@dataclass
class _Run:
    """Everything the loop works on, built once by :func:`_setup`."""

    cfg: TrainConfig
    out: Path
    rank: int
    world: int
    device: torch.device
    model: torch.nn.Module  # DDP-wrapped under torchrun
    opt: torch.optim.Optimizer
    sched: Any
    state: TrainState
    sampler: _ResumableSampler
    train_ds: VSCrowdClips
    val_ds: VSCrowdClips | None
    val_gt: GroundTruth | None
    per_rank: int
    steps_per_epoch: int
    total: int
    tb: Any = None
    bar: Any = None
    last_loss: float | None = None

    def save(self, name: str) -> None:
        save_run(self.out / name, self.model, self.opt, self.sched, self.state, self.cfg,
                 self.world)


def _setup(cfg: TrainConfig, out: Path, resume: bool, allow_changes: bool) -> _Run:
    rank, world, local_rank = _init_distributed()
    device = _device(cfg, local_rank)
    resume_from = None
    if resume:
        resume_from, cfg = read_resume(out / "last.pt", cfg, allow_changes)
    _seed_everything(cfg.seed, rank)
    train_ds, val_ds, val_view = _datasets(cfg)
    val_gt = GroundTruth.from_dataset(val_view) if val_view is not None else None
    if cfg.batch_size % world:
        raise ConfigError(f"expected batch_size divisible by {world} processes, got "
                          f"{cfg.batch_size}")
    per_rank = cfg.batch_size // world
    model = build_model_from_config(cfg).to(device)
    if cfg.channels_last and device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    sampler = _ResumableSampler(train_ds, world, rank, cfg.seed)
    steps_per_epoch = len(sampler) // per_rank
    if steps_per_epoch == 0:
        raise ConfigError(f"the training split has {len(train_ds)} clips, fewer than one "
                          f"batch of {cfg.batch_size}")
    total = cfg.max_steps or steps_per_epoch * cfg.epochs
    opt = make_optimizer(cfg, model)
    sched = make_scheduler(cfg, opt, total)
    state = TrainState()
    if resume_from is not None:
        apply_resume(resume_from, out / "last.pt", model, opt, sched, state, rank)
    if rank == 0:  # only once everything above succeeded: it describes last.pt
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out / "config.json", json.dumps(cfg.to_dict(), indent=2) + "\n")
    if world > 1:
        model = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[local_rank] if device.type == "cuda" else None)
    model.train()
    return _Run(cfg, out, rank, world, device, model, opt, sched, state, sampler, train_ds,
                val_ds, val_gt, per_rank, steps_per_epoch, total)


# ---------------------------------------------------------------------- loop
def _log(out_dir: Path, row: dict[str, Any], rank: int) -> None:
    if rank:
        return
    with open(out_dir / "metrics.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")


def _tensorboard(out: Path):
    """A TensorBoard writer when the tensorboard package is installed, else None."""
    if optional_module("tensorboard") is None:
        return None
    from torch.utils.tensorboard import SummaryWriter

    return SummaryWriter(str(out / "tensorboard"))


def _step(run: _Run, batch, on_step) -> float:
    """One optimiser step and its bookkeeping (progress, TensorBoard, periodic save)."""
    cfg, state = run.cfg, run.state
    try:
        loss = train_step(run.model, batch, run.opt, run.sched, cfg, run.device)
    except torch.cuda.OutOfMemoryError as exc:
        raise ConfigError("out of GPU memory; try a smaller --crop or --batch-size, or a "
                          "smaller model.chunk_size") from exc
    state.step += 1
    state.batch_in_epoch += 1
    run.last_loss = loss
    if run.bar:
        run.bar.update()
        run.bar.set_postfix(loss=f"{loss:.4f}", epoch=state.epoch)
    if run.tb is not None and state.step % cfg.log_every == 0:
        run.tb.add_scalar("train/loss", loss, state.step)
        run.tb.add_scalar("train/lr", run.sched.get_last_lr()[0], state.step)
    if on_step:
        on_step(state.step, loss)
    if cfg.checkpoint_every and state.step % cfg.checkpoint_every == 0:
        run.save("last.pt")
    return loss


def _epoch(run: _Run, on_step) -> tuple[list[float], bool]:
    """The rest of the current epoch: (losses, whether the run stopped inside it)."""
    cfg, state = run.cfg, run.state
    run.sampler.set_epoch(state.epoch)
    run.sampler.skip = state.batch_in_epoch * run.per_rank
    run.train_ds.set_epoch(state.epoch)
    loader = DataLoader(run.train_ds, batch_size=run.per_rank, sampler=run.sampler,
                        num_workers=cfg.data.workers, collate_fn=collate, drop_last=True,
                        pin_memory=run.device.type == "cuda",
                        generator=torch.Generator().manual_seed(cfg.seed + state.epoch))
    losses: list[float] = []
    for batch in _batches(loader):
        losses.append(_step(run, batch, on_step))
        if state.step >= run.total:
            break
    stopped = state.step >= run.total and state.batch_in_epoch < run.steps_per_epoch
    return losses, stopped


def _end_epoch(run: _Run, losses: list[float], seconds: float) -> None:
    """Validate (when due), log, keep best.pt and save last.pt."""
    cfg, state = run.cfg, run.state
    row: dict[str, Any] = {"epoch": state.epoch, "step": state.step,
                           "loss": float(np.mean(losses)) if losses else None,
                           "lr": run.sched.get_last_lr()[0], "seconds": round(seconds, 2)}
    state.epoch += 1
    state.batch_in_epoch = 0
    if run.val_ds is not None and cfg.val_every and state.epoch % cfg.val_every == 0:
        res = validate(run.model, run.val_ds, run.val_gt, cfg, run.device, run.rank,
                       run.world)
        for r in res.localization:
            row[f"mAP@{r.sigma:g}"] = r.map
            row[f"mAR@{r.sigma:g}"] = r.mar
        row["MAE"] = res.counting.mae
    state.history.append(row)  # before best.pt: it records its own metrics
    score = (row.get("mAP@20") or 0.0) if "mAP@20" in row else -1.0
    if score > state.best:
        state.best = score
        run.save("best.pt")
    _log(run.out, row, run.rank)
    if run.tb is not None:
        for k, v in row.items():
            if k not in ("epoch", "step") and isinstance(v, float):
                run.tb.add_scalar(f"epoch/{k}", v, state.step)
    logger.info("epoch %s: %s", row["epoch"], row)
    run.save("last.pt")


def _loop(run: _Run, on_step) -> bool:
    """Train until the configured end; True when interrupted (Ctrl-C, SIGTERM)."""
    state = run.state
    try:
        while state.epoch < run.cfg.epochs and state.step < run.total:
            t0 = time.time()
            losses, stopped = _epoch(run, on_step)
            if stopped:
                break  # stopped inside an epoch: resume continues there
            _end_epoch(run, losses, time.time() - t0)
    except KeyboardInterrupt:
        run.save("last.pt")
        logger.warning("interrupted: resumable checkpoint saved to %s", run.out / "last.pt")
        return True
    run.save("last.pt")
    return False


def train(cfg: TrainConfig, out_dir: str | Path, *, resume: bool = False,
          allow_changes: bool = False,
          on_step: Callable[[int, float], None] | None = None) -> TrainResult:
    """Train ``cfg`` into ``out_dir`` (``config.json``, ``last.pt``, ``best.pt``,
    ``metrics.jsonl``); with a validation set, end by choosing the count threshold on it.

    Args:
        cfg: The configuration (resolved here).
        out_dir: Run folder (created).
        resume: Continue from ``out_dir/last.pt`` exactly where it stopped; ``cfg`` must
            equal the checkpoint's config outside :data:`RESUME_FREE`.
        allow_changes: Accept other differences on resume (recorded in
            ``config.json`` as ``resume_changes``).
        on_step: Called after every optimiser step with ``(step, loss)``; raising
            KeyboardInterrupt there behaves like Ctrl-C (tests use it).

    Returns:
        :class:`TrainResult` (Ctrl-C saves a resumable ``last.pt``: ``interrupted``).
    """
    cfg = cfg.resolved()
    with _determinism(cfg.deterministic):
        run = _setup(cfg, check_output_folder(out_dir), resume, allow_changes)
        if run.rank == 0:
            run.tb = _tensorboard(run.out)
            if sys.stderr.isatty():
                from tqdm import tqdm

                run.bar = tqdm(total=run.total, initial=run.state.step, desc="train",
                               file=sys.stderr)
        try:
            interrupted = _loop(run, on_step)
            if not interrupted and run.val_ds is not None:
                calibrate_run(run)
        finally:
            for closing in (c for c in (run.bar, run.tb) if c is not None):
                closing.close()
    if run.world > 1:
        dist.barrier()
    state = run.state
    return TrainResult(run.out, state.step, state.epoch,
                       state.best if state.best >= 0 else None, interrupted, run.last_loss)
