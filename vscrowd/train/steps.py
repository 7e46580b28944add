"""One optimisation step and one validation pass, and what they are built from: the
loss, the optimiser and the learning-rate schedule."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
import torch.distributed as dist
from torch.utils.data import DataLoader

from ..choices import TILE
from ..data import collate
from ..errors import ConfigError
from ..eval import (
    DEFAULT_SIGMAS,
    EvaluationResult,
    GroundTruth,
    LocalizationMetric,
    Predictions,
)
from ..eval.predictions import RecordBuilder
from ..models import find_peaks
from ..models.amp import autocast
from ..models.postprocess import NMS_RADIUS
from ..models.tiling import tiled_forward
from .config import TrainConfig

__all__ = ["FramePoints", "frame_predictions", "make_optimizer", "make_scheduler",
           "predict_batches", "predict_batches_by_radius",
           "train_step", "validate", "validation_records", "validation_records_by_radius",
           "weighted_bce"]


def weighted_bce(logits: torch.Tensor, target: torch.Tensor, pos_weight: float,
                 reduction: str = "mean") -> torch.Tensor:
    """Weighted BCE on the objective frame's binary map, averaged (``mean``) or summed
    (``sum``, the paper's reading) over the pixels of the batch."""
    pw = torch.tensor(pos_weight, device=logits.device)
    return torch.nn.functional.binary_cross_entropy_with_logits(
        logits.float(), target, pos_weight=pw, reduction=reduction)


def make_optimizer(cfg: TrainConfig, model: torch.nn.Module) -> torch.optim.Optimizer:
    o = cfg.optim
    params = [p for p in model.parameters() if p.requires_grad]
    if o.optimizer == "adam":
        return torch.optim.Adam(params, lr=o.lr, weight_decay=o.weight_decay)
    return torch.optim.SGD(params, lr=o.lr, momentum=o.momentum, weight_decay=o.weight_decay)


def make_scheduler(cfg: TrainConfig, opt, total_steps: int):
    """Linear warm-up, then cosine decay to 0 at ``total_steps`` (or constant)."""
    o = cfg.optim

    def factor(step: int) -> float:
        warm = min(1.0, (step + 1) / max(1, o.warmup_steps))
        if o.scheduler == "none":
            return warm
        return warm * 0.5 * (1 + math.cos(math.pi * min(1.0, step / max(1, total_steps))))

    return torch.optim.lr_scheduler.LambdaLR(opt, factor)


def train_step(model, batch, opt, sched, cfg: TrainConfig, device) -> float:
    """Forward, loss, backward, clip, step; the loss as a float."""
    frames = batch["frames"].to(device, non_blocking=True)
    target = batch["target"].to(device, non_blocking=True)
    with autocast(device, cfg.amp):
        logits = model(frames)
    loss = weighted_bce(logits, target, cfg.optim.pos_weight, cfg.optim.loss_reduction)
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


#: One frame's prediction as training produces it: (video, frame, ``(n, 3)`` float64
#: ``[x, y, score]`` in original pixels). Arrays end to end: no per-point Python objects.
FramePoints = tuple[str, str, np.ndarray]


@torch.no_grad()
def predict_batches(model, loader, device, score_floor: float, amp: bool = True,
                    radius: float = NMS_RADIUS) -> Predictions:
    """Run a (non-augmenting) clip loader through ``model``: every peak scoring at least
    ``score_floor`` (NMS at ``radius``)."""
    frames = predict_batches_by_radius(model, loader, device, score_floor, amp, (radius,))
    return frame_predictions(frames[radius])


@torch.no_grad()
def predict_batches_by_radius(model, loader, device, score_floor: float, amp: bool,
                              radii: Sequence[float]) -> dict[float, list[FramePoints]]:
    """The peaks of each frame at each NMS radius of ``radii``, from the same forward
    passes: radius -> frames (what choosing the radius on validation needs)."""
    model.eval()
    out: dict[float, list[FramePoints]] = {r: [] for r in radii}
    for batch in loader:
        frames = batch["frames"].to(device)
        with autocast(device, amp):
            prob = torch.sigmoid(tiled_forward(model, frames, TILE).float())
        for r in radii:
            peaks = find_peaks(prob, score_floor, scale=batch["scale"],
                               offset=batch["offset"], radius=r)
            for v, f, pts, size in zip(batch["video"], batch["frame"], peaks,
                                       batch["orig_size"]):
                h, w = size
                keep = (pts[:, 0] < w) & (pts[:, 1] < h)
                out[r].append((v, f, pts[keep].cpu().double().numpy()))
    return out


def frame_predictions(frames: Sequence[FramePoints]) -> Predictions:
    """Per-frame peak arrays as one :class:`~vscrowd.eval.Predictions` (records in order)."""
    out = RecordBuilder()
    for video, frame, pts in frames:
        out.add({"video": video, "frame": frame, "points": pts})
    return out.build()


def validation_records(model, val_ds, cfg: TrainConfig, device, rank: int, world: int
                       ) -> Predictions:
    """Predictions of ``model`` on the validation clips down to the score floor, at the
    config's NMS radius (sharded over the processes, gathered on every rank)."""
    r = cfg.post.nms_radius
    return validation_records_by_radius(model, val_ds, cfg, device, rank, world, (r,))[r]


def validation_records_by_radius(model, val_ds, cfg: TrainConfig, device, rank: int,
                                 world: int, radii: Sequence[float]
                                 ) -> dict[float, Predictions]:
    """:func:`validation_records` at each NMS radius of ``radii`` (one forward pass per
    clip): radius -> predictions."""
    core = model.module if hasattr(model, "module") else model
    idx = list(range(len(val_ds)))[: cfg.val_max_frames or None]
    shard = idx[rank::world]
    loader = DataLoader(torch.utils.data.Subset(val_ds, shard), batch_size=1,
                        num_workers=0, collate_fn=collate,
                        generator=torch.Generator().manual_seed(0))
    frames = predict_batches_by_radius(core, loader, device, cfg.post.score_floor, cfg.amp,
                                       radii)
    core.train()
    if world > 1:
        gathered = [None] * world
        dist.all_gather_object(gathered, frames)
        frames = {r: [x for part in gathered for x in part[r]] for r in radii}
    return {r: frame_predictions(f) for r, f in frames.items()}


def validate(model, val_ds, val_gt: GroundTruth, cfg: TrainConfig, device, rank: int,
             world: int) -> EvaluationResult:
    """σ-AP (σ = 5/20/40) and counting errors (at the config's count threshold) of
    ``model`` on the validation clips, accumulated frame by frame in a
    :class:`~vscrowd.eval.LocalizationMetric` (the torchmetrics-style accumulator)."""
    preds = validation_records(model, val_ds, cfg, device, rank, world)
    keys = list(zip(preds.frames["video"], preds.frames["frame"]))
    gt = val_gt.subset(keys)
    row = {k: i for i, k in enumerate(zip(gt.frames["video"], gt.frames["frame"]))}
    metric = LocalizationMetric(sigmas=DEFAULT_SIGMAS,
                                count_threshold=cfg.post.count_threshold)
    for i, (video, frame) in enumerate(keys):
        p, g = preds.in_frame(i), gt.in_frame(row[(video, frame)])
        metric.update(np.column_stack([p.xy, p.score]), g.xy, boxes=g.box, video=video,
                      frame=frame)
    return metric.compute()
