"""The count threshold a trained model carries, chosen on the validation hold-out at the
end of training, and written into the run's ``config.json`` and its checkpoints (so that
``predict`` and ``export`` carry it).

The score floor is fixed low (``post.score_floor``) so that σ-AP sees the whole
precision-recall curve; only the count threshold is chosen, as the one that minimises
the mean absolute count error over the validation frames. Nothing is chosen on test.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from .._io import atomic_write_text
from ..eval import GroundTruth, Predictions
from ..models.postprocess import choose_count_threshold
from ..models.state import load_state_strict
from .checkpoint import load_checkpoint, save_checkpoint
from .config import TrainConfig
from .steps import validation_records

__all__ = ["calibrate_count_threshold", "record_config"]


def calibrate_count_threshold(model, val_ds, val_gt: GroundTruth, cfg: TrainConfig, device,
                              rank: int, world: int, checkpoint: Path | None = None
                              ) -> TrainConfig:
    """``cfg`` with ``post.count_threshold`` chosen on the validation clips (and
    ``post.chosen_on`` saying how). ``checkpoint``: load these weights first (the run's
    ``best.pt``: the weights ``predict`` and ``export`` pick)."""
    core = model.module if hasattr(model, "module") else model
    if checkpoint is not None:
        load_state_strict(core, load_checkpoint(checkpoint)["model"], checkpoint)
    records = validation_records(model, val_ds, cfg, device, rank, world)
    keys = [(r["video"], r["frame"]) for r in records]
    gt = val_gt.subset(keys)
    preds = Predictions.from_records(records)
    row = {k: i for i, k in enumerate(zip(preds.frames["video"], preds.frames["frame"]))}
    scores = [preds.score[preds.frame_rows(row[k])] for k in
              zip(gt.frames["video"], gt.frames["frame"])]
    threshold, mae = choose_count_threshold(scores, gt.counts().tolist(),
                                            floor=cfg.post.score_floor)
    weights = checkpoint.name if checkpoint is not None else "final weights"
    how = (f"minimum count MAE ({mae:.3f}) on {len(scores)} validation frames "
           f"(val_split {cfg.data.val_split!r}), weights {weights}")
    return replace(cfg, post=replace(cfg.post, count_threshold=round(threshold, 6),
                                     chosen_on=how))


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
