"""The post-processing a trained model carries, chosen on the validation hold-out at
the end of training, and written into the run's ``config.json`` and its checkpoints (so
that ``predict`` and ``export`` carry it).

The score floor is fixed low (``post.score_floor``) so that σ-AP sees the whole
precision-recall curve. Two values are chosen, in this order, from one forward pass over
the validation clips: the NMS radius (of :data:`~vscrowd.models.postprocess.NMS_CANDIDATES`)
with the highest mean σ-mAP over σ = 5/20/40, then, at that radius, the count threshold
that minimises the mean absolute count error over the validation frames. Nothing is
chosen on test.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from .._io import atomic_write_text
from ..eval import DEFAULT_SIGMAS, GroundTruth, Predictions, evaluate
from ..models.postprocess import NMS_CANDIDATES, choose_count_threshold, choose_nms_radius
from ..models.state import load_state_strict
from .checkpoint import load_checkpoint, save_checkpoint
from .config import TrainConfig
from .steps import validation_records_by_radius

__all__ = ["calibrate_post", "calibrate_run", "record_config"]


def _mean_map(gt: GroundTruth, preds: Predictions) -> float | None:
    """Mean σ-mAP over the benchmark's σ (None: no heads to score)."""
    res = evaluate(gt, preds, sigmas=DEFAULT_SIGMAS, metrics=["sigma"])
    maps = [r.map for r in res.localization]
    return None if any(m is None for m in maps) else sum(maps) / len(maps)


def _count_threshold(gt: GroundTruth, preds: Predictions, floor: float) -> tuple[float, float]:
    """The count threshold minimising the validation count MAE, and that MAE."""
    row = {k: i for i, k in enumerate(zip(preds.frames["video"], preds.frames["frame"]))}
    scores = [preds.score[preds.frame_rows(row[k])] for k in
              zip(gt.frames["video"], gt.frames["frame"])]
    return choose_count_threshold(scores, gt.counts().tolist(), floor=floor)


def calibrate_post(model, val_ds, val_gt: GroundTruth, cfg: TrainConfig, device, rank: int,
                   world: int, checkpoint: Path | None = None) -> TrainConfig:
    """``cfg`` with ``post.nms_radius`` and ``post.count_threshold`` chosen on the
    validation clips (and ``post.chosen_on`` saying how). ``checkpoint``: load these
    weights first (the run's ``best.pt``: the weights ``predict`` and ``export`` pick)."""
    core = model.module if hasattr(model, "module") else model
    if checkpoint is not None:
        load_state_strict(core, load_checkpoint(checkpoint)["model"], checkpoint)
    preds = validation_records_by_radius(model, val_ds, cfg, device, rank, world,
                                         NMS_CANDIDATES)
    first = next(iter(preds.values())).frames
    gt = val_gt.subset(list(zip(first["video"], first["frame"])))
    quality = {r: _mean_map(gt, p) for r, p in preds.items()}
    radius, how_radius = cfg.post.nms_radius, "kept (the validation frames have no heads)"
    if all(q is not None for q in quality.values()):
        radius, best = choose_nms_radius(quality, prefer=cfg.post.nms_radius)
        how_radius = f"NMS radius {radius:g} px: maximum mean σ-mAP ({100 * best:.2f})"
    if radius not in preds:  # no heads: the configured radius, post-processed again
        preds[radius] = validation_records_by_radius(model, val_ds, cfg, device, rank,
                                                     world, (radius,))[radius]
    threshold, mae = _count_threshold(gt, preds[radius], cfg.post.score_floor)
    weights = checkpoint.name if checkpoint is not None else "final weights"
    how = (f"{how_radius}, then count threshold: minimum count MAE ({mae:.3f}), on "
           f"{len(gt.frames)} validation frames (val_split {cfg.data.val_split!r}), "
           f"weights {weights}")
    return replace(cfg, post=replace(cfg.post, nms_radius=radius,
                                     count_threshold=round(threshold, 6), chosen_on=how))


def record_config(out: Path, cfg: TrainConfig) -> None:
    """Write ``cfg`` to ``out/config.json`` and into the config of the run's checkpoints
    (``best.pt``, ``last.pt``) that exist; their weights and state are unchanged."""
    atomic_write_text(out / "config.json", json.dumps(cfg.to_dict(), indent=2) + "\n")
    for name in ("best.pt", "last.pt"):
        path = out / name
        if path.is_file():
            ckpt = load_checkpoint(path)
            ckpt["config"] = cfg.to_dict()
            save_checkpoint(path, ckpt)


def calibrate_run(run) -> None:
    """At the end of training (``run``: the trainer's state, duck-typed): the NMS radius
    and count threshold chosen on validation with the weights predict will use (``best.pt`` when
    written), recorded in ``run.cfg`` and the run's config files."""
    best = run.out / "best.pt"
    run.cfg = calibrate_post(run.model, run.val_ds, run.val_gt, run.cfg, run.device, run.rank,
                             run.world, best if best.is_file() else None)
    if run.rank == 0:
        record_config(run.out, run.cfg)
