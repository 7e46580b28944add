"""``train(config, out_dir)``: the training loop, read top to bottom as small helpers.

Single process or ``torchrun --nproc_per_node K`` (DistributedDataParallel; gloo on
CPU, NCCL on CUDA). Resume is exact: data order and augmentations are functions of
(seed, epoch, index), and the RNG states are saved in every checkpoint.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
import random
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader, DistributedSampler

from .._io import atomic_write_text
from ..data import VSCrowdClips, collate, train_transform
from ..dataset import VSCrowd
from ..errors import CheckpointError, ConfigError, VSCrowdError
from ..eval import GroundTruth, Predictions, evaluate
from ..models import build_model, find_peaks
from ..models.state import load_state_strict
from ..splits import holdout_videos
from .checkpoint import load_checkpoint, require_keys, save_checkpoint
from .config import HOLDOUT, NO_CUDA, TrainConfig, config_changes

__all__ = ["TrainResult", "build_model_from_config", "model_options", "resume_config", "train"]

logger = logging.getLogger(__name__)


@dataclass
class _State:
    epoch: int = 0
    step: int = 0
    batch_in_epoch: int = 0
    best: float = -1.0
    history: list[dict[str, Any]] = field(default_factory=list)


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


def _seed_everything(seed: int, rank: int) -> None:
    random.seed(seed + rank)
    np.random.seed((seed + rank) % 2**32)
    torch.manual_seed(seed + rank)


def model_options(cfg: TrainConfig) -> dict[str, Any]:
    """``build_model(cfg.model.name, **model_options(cfg))`` builds the configured model
    (backbone weights excluded: they are an initialisation, not part of the model).
    ``cfg`` must be resolved (:meth:`TrainConfig.resolved`)."""
    m = cfg.model
    opts: dict[str, Any] = {
        "width": m.width, "clip_length": cfg.clip_length, "n_samples": m.n_samples,
        "eval_samples": m.eval_samples, "chunk_size": m.chunk_size, "backbone": m.backbone,
        "border": m.border, "projections": m.projections}
    if m.gammas is not None:
        opts["gammas"] = tuple(m.gammas)
    return opts


def build_model_from_config(cfg: TrainConfig) -> torch.nn.Module:
    """The model a config describes (also used by ``predict``)."""
    cfg = cfg.resolved()
    return build_model(cfg.model.name, **model_options(cfg),
                       backbone_weights=cfg.model.backbone_weights)


def _views(cfg: TrainConfig, ds: VSCrowd) -> tuple[VSCrowd, VSCrowd | None]:
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
    train_view, val_view = _views(cfg, VSCrowd(cfg.data.root))
    train_ds = VSCrowdClips(train_view, None, cfg.clip_length, cfg.data.clip_stride,
                            train_transform(tuple(cfg.data.crop), tuple(cfg.data.scale)),
                            cache_frames=cfg.data.cache_frames, seed=cfg.seed)
    val_ds = None
    if val_view is not None:
        val_ds = VSCrowdClips(val_view, None, cfg.clip_length, cfg.data.clip_stride,
                              target="points", cache_frames=cfg.data.cache_frames)
    return train_ds, val_ds, val_view


def _optimizer(cfg: TrainConfig, model: torch.nn.Module) -> torch.optim.Optimizer:
    o = cfg.optim
    params = [p for p in model.parameters() if p.requires_grad]
    if o.optimizer == "adam":
        return torch.optim.Adam(params, lr=o.lr, weight_decay=o.weight_decay)
    return torch.optim.SGD(params, lr=o.lr, momentum=o.momentum, weight_decay=o.weight_decay)


def _scheduler(cfg: TrainConfig, opt, total_steps: int):
    o = cfg.optim

    def factor(step: int) -> float:
        warm = min(1.0, (step + 1) / max(1, o.warmup_steps))
        if o.scheduler == "none":
            return warm
        return warm * 0.5 * (1 + math.cos(math.pi * min(1.0, step / max(1, total_steps))))

    return torch.optim.lr_scheduler.LambdaLR(opt, factor)


# ---------------------------------------------------------------------- checkpoints
def _rng_state() -> dict[str, Any]:
    """Every RNG's state as plain data (tensors, ints, lists), so that the checkpoint
    loads with ``weights_only=True``."""
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


def _set_rng_state(state: dict[str, Any]) -> None:
    torch.set_rng_state(state["torch"])
    n = state["numpy"]
    np.random.set_state(("MT19937", n["keys"].numpy().astype(np.uint32), n["pos"],
                         n["has_gauss"], n["cached_gaussian"]))
    p = state["python"]
    random.setstate((p["version"], tuple(p["internal"]), p["gauss_next"]))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _save(path: Path, model, opt, sched, state: _State, cfg: TrainConfig, world: int) -> None:
    rngs = [_rng_state()]
    if world > 1:
        rngs = [None] * world
        dist.all_gather_object(rngs, _rng_state())
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


def _read_resume(path: Path, cfg: TrainConfig, allow_changes: bool
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


def _apply_resume(ckpt: dict[str, Any], path: Path, model, opt, sched, state: _State,
                  rank: int) -> None:
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
        _set_rng_state(rngs[rank] if rank < len(rngs) else rngs[0])
    except (KeyError, IndexError, TypeError, ValueError, AttributeError) as exc:
        raise CheckpointError(f"{path}: RNG state is malformed ({type(exc).__name__}: "
                              f"{exc})") from exc


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


# ---------------------------------------------------------------------- steps
def _loss(logits: torch.Tensor, target: torch.Tensor, pos_weight: float,
          reduction: str = "mean") -> torch.Tensor:
    """Weighted BCE on the objective frame's binary map, averaged (``mean``) or summed
    (``sum``, the paper's reading) over the pixels of the batch."""
    pw = torch.tensor(pos_weight, device=logits.device)
    return torch.nn.functional.binary_cross_entropy_with_logits(
        logits.float(), target, pos_weight=pw, reduction=reduction)


def _autocast(cfg: TrainConfig, device: torch.device):
    if cfg.amp and device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _train_step(model, batch, opt, sched, cfg: TrainConfig, device) -> float:
    frames = batch["frames"].to(device, non_blocking=True)
    target = batch["target"].to(device, non_blocking=True)
    with _autocast(cfg, device):
        logits = model(frames)
    loss = _loss(logits, target, cfg.optim.pos_weight, cfg.optim.loss_reduction)
    if cfg.optim.loss_reduction == "sum" and dist.is_initialized():
        loss = loss * dist.get_world_size()  # DDP averages gradients: keep the global sum
    if not torch.isfinite(loss):
        raise ConfigError(f"the training loss became {float(loss)} (diverged); lower the "
                          f"learning rate (now {cfg.optim.lr:g})")
    opt.zero_grad(set_to_none=True)
    loss.backward()
    if cfg.optim.grad_clip:
        torch.nn.utils.clip_grad_norm_(model.parameters(), cfg.optim.grad_clip)
    opt.step()
    sched.step()
    return float(loss.detach())


@torch.no_grad()
def predict_batches(model, loader, device, threshold: float, amp: bool = True
                    ) -> list[dict[str, Any]]:
    """Run a (non-augmenting) clip loader through ``model``; leaderboard records."""
    model.eval()
    records = []
    for batch in loader:
        frames = batch["frames"].to(device)
        ctx = (torch.autocast("cuda", dtype=torch.bfloat16) if amp and device.type == "cuda"
               else contextlib.nullcontext())
        with ctx:
            prob = torch.sigmoid(model(frames).float())
        peaks = find_peaks(prob, threshold, scale=batch["scale"], offset=batch["offset"])
        for v, f, pts, size in zip(batch["video"], batch["frame"], peaks, batch["orig_size"]):
            h, w = size
            keep = (pts[:, 0] < w) & (pts[:, 1] < h)
            records.append({"video": v, "frame": f, "points": pts[keep].cpu().tolist()})
    return records


def _validate(model, val_ds, val_gt: GroundTruth, cfg: TrainConfig, device, rank, world):
    core = model.module if hasattr(model, "module") else model
    idx = list(range(len(val_ds)))[: cfg.val_max_frames or None]
    shard = idx[rank::world]
    loader = DataLoader(torch.utils.data.Subset(val_ds, shard), batch_size=1,
                        num_workers=0, collate_fn=collate,
                        generator=torch.Generator().manual_seed(0))
    records = predict_batches(core, loader, device, cfg.threshold, cfg.amp)
    core.train()
    if world > 1:
        gathered = [None] * world
        dist.all_gather_object(gathered, records)
        records = [r for part in gathered for r in part]
    keys = [(r["video"], r["frame"]) for r in records]
    return evaluate(val_gt.subset(keys), Predictions.from_records(records), sigmas=(5, 20, 40))


# ---------------------------------------------------------------------- loop
def _log(out_dir: Path, row: dict[str, Any], rank: int) -> None:
    if rank:
        return
    with open(out_dir / "metrics.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(row) + "\n")


def _tensorboard(out: Path):
    """A TensorBoard writer when the tensorboard package is installed, else None."""
    try:
        from torch.utils.tensorboard import SummaryWriter
    except ImportError:
        return None
    return SummaryWriter(str(out / "tensorboard"))


def train(cfg: TrainConfig, out_dir: str | Path, *, resume: bool = False,
          allow_changes: bool = False,
          on_step: Callable[[int, float], None] | None = None) -> TrainResult:
    """Train ``cfg`` into ``out_dir`` (``config.json``, ``last.pt``, ``best.pt``,
    ``metrics.jsonl``).

    Args:
        cfg: The resolved configuration.
        out_dir: Run folder (created).
        resume: Continue from ``out_dir/last.pt`` exactly where it stopped; ``cfg`` must
            equal the checkpoint's config outside :data:`RESUME_FREE`.
        allow_changes: Accept other differences on resume (recorded in
            ``config.json`` as ``resume_changes``).
        on_step: Called after every optimiser step with ``(step, loss)``; raising
            KeyboardInterrupt there behaves like Ctrl-C (tests use it).

    Returns:
        :class:`TrainResult`. Ctrl-C saves a resumable ``last.pt`` and returns with
        ``interrupted=True``.
    """
    cfg = cfg.resolved()
    rank, world, local_rank = _init_distributed()
    device = _device(cfg, local_rank)
    out = Path(out_dir)
    resume_from = None
    if resume:
        resume_from, cfg = _read_resume(out / "last.pt", cfg, allow_changes)
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
    opt = _optimizer(cfg, model)
    sched = _scheduler(cfg, opt, total)
    state = _State()
    if resume_from is not None:
        _apply_resume(resume_from, out / "last.pt", model, opt, sched, state, rank)
    if rank == 0:  # only once everything above succeeded: it describes last.pt
        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out / "config.json", json.dumps(cfg.to_dict(), indent=2) + "\n")
    ddp = (torch.nn.parallel.DistributedDataParallel(model, device_ids=[local_rank]
                                                     if device.type == "cuda" else None)
           if world > 1 else model)
    ddp.train()
    tb = _tensorboard(out) if rank == 0 else None
    bar = None
    if rank == 0 and sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=total, initial=state.step, desc="train", file=sys.stderr)
    interrupted, last_loss = False, None
    try:
        while state.epoch < cfg.epochs and state.step < total:
            sampler.set_epoch(state.epoch)
            sampler.skip = state.batch_in_epoch * per_rank
            train_ds.set_epoch(state.epoch)
            loader = DataLoader(train_ds, batch_size=per_rank, sampler=sampler,
                                num_workers=cfg.data.workers, collate_fn=collate,
                                drop_last=True, pin_memory=device.type == "cuda",
                                generator=torch.Generator().manual_seed(cfg.seed + state.epoch))
            t0, losses = time.time(), []
            for batch in _batches(loader):
                try:
                    last_loss = _train_step(ddp, batch, opt, sched, cfg, device)
                except torch.cuda.OutOfMemoryError as exc:
                    raise ConfigError(
                        "out of GPU memory; try a smaller --crop or --batch-size, or a "
                        "smaller model.chunk_size") from exc
                losses.append(last_loss)
                state.step += 1
                state.batch_in_epoch += 1
                if bar:
                    bar.update()
                    bar.set_postfix(loss=f"{last_loss:.4f}", epoch=state.epoch)
                if tb is not None and state.step % cfg.log_every == 0:
                    tb.add_scalar("train/loss", last_loss, state.step)
                    tb.add_scalar("train/lr", sched.get_last_lr()[0], state.step)
                if on_step:
                    on_step(state.step, last_loss)
                if cfg.checkpoint_every and state.step % cfg.checkpoint_every == 0:
                    _save(out / "last.pt", ddp, opt, sched, state, cfg, world)
                if state.step >= total:
                    break
            if state.step >= total and state.batch_in_epoch < steps_per_epoch:
                break  # stopped inside an epoch: resume continues there
            row = {"epoch": state.epoch, "step": state.step,
                   "loss": float(np.mean(losses)) if losses else None,
                   "lr": sched.get_last_lr()[0], "seconds": round(time.time() - t0, 2)}
            state.epoch += 1
            state.batch_in_epoch = 0
            if val_ds is not None and cfg.val_every and state.epoch % cfg.val_every == 0:
                res = _validate(ddp, val_ds, val_gt, cfg, device, rank, world)
                for r in res.localization:
                    row[f"mAP@{r.sigma:g}"] = r.map
                    row[f"mAR@{r.sigma:g}"] = r.mar
                row["MAE"] = res.counting.mae
            state.history.append(row)  # before best.pt: it records its own metrics
            score = (row.get("mAP@20") or 0.0) if "mAP@20" in row else -1.0
            if score > state.best:
                state.best = score
                _save(out / "best.pt", ddp, opt, sched, state, cfg, world)
            _log(out, row, rank)
            if tb is not None:
                for k, v in row.items():
                    if k not in ("epoch", "step") and isinstance(v, float):
                        tb.add_scalar(f"epoch/{k}", v, state.step)
            logger.info("epoch %s: %s", row["epoch"], row)
            _save(out / "last.pt", ddp, opt, sched, state, cfg, world)
    except KeyboardInterrupt:
        interrupted = True
        _save(out / "last.pt", ddp, opt, sched, state, cfg, world)
        logger.warning("interrupted: resumable checkpoint saved to %s", out / "last.pt")
    finally:
        if bar:
            bar.close()
        if tb is not None:
            tb.close()
    if not interrupted:
        _save(out / "last.pt", ddp, opt, sched, state, cfg, world)
    if world > 1:
        dist.barrier()
    return TrainResult(out, state.step, state.epoch, state.best if state.best >= 0 else None,
                       interrupted, last_loss)
