"""Precision / recall / AUC over distance thresholds (Idrees et al., ECCV 2018).

The UCF-QNRF localization protocol that the GNANet paper's Table IX uses ("Precision/
Recall/AUC proposed in [55]"). At each distance threshold r = 1, 2, ..., 100 px,
predictions and ground-truth heads are matched one to one (a maximum matching among
pairs with ``d <= r``, per frame), and TP/FP/FN are summed over all frames; then

* ``precision`` and ``recall``: the means over the thresholds of ``TP/(TP+FP)`` and
  ``TP/(TP+FN)``;
* ``auc``: the area under the precision-recall curve that the thresholds trace
  (trapezoids in recall, the curve held at the first threshold's precision down to
  recall 0).

Scores are ignored (every prediction counts). No reference implementation of this
protocol is public; this module is vscrowd's reading of the paper's description, and
docs/metrics.md says where it may differ.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..ap import run_all
from ..candidates import candidate_pairs
from ..text import num
from ..threshold_matching import matching_sizes
from .base import Context, MetricFamily

__all__ = ["FAMILY", "IDREES_THRESHOLDS", "IdreesResult", "idrees_curve", "idrees_matches",
           "pr_auc"]

IDREES_THRESHOLDS = np.arange(1.0, 101.0)
IDREES_THRESHOLDS.flags.writeable = False


def idrees_curve(dt_frame: np.ndarray, dt_xy: np.ndarray, gt_frame: np.ndarray,
                 gt_xy: np.ndarray, thresholds: np.ndarray = IDREES_THRESHOLDS
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``(precision, recall)``, each ``(R,)`` float64, one entry per threshold (px).

    Example:
        >>> f = np.zeros(2, np.int64)
        >>> p, r = idrees_curve(f, np.array([[0., 0.], [10., 0.]]), np.zeros(1, np.int64),
        ...                     np.array([[3., 0.]]), np.array([2.0, 3.0, 8.0]))
        >>> p.tolist(), r.tolist()
        ([0.0, 0.5, 0.5], [0.0, 1.0, 1.0])
    """
    tp = idrees_matches(dt_frame, dt_xy, gt_frame, gt_xy, thresholds)
    return _rates(tp, len(dt_xy), len(gt_xy))


def idrees_matches(dt_frame: np.ndarray, dt_xy: np.ndarray, gt_frame: np.ndarray,
                   gt_xy: np.ndarray, thresholds: np.ndarray = IDREES_THRESHOLDS
                   ) -> np.ndarray:
    """``(R,)`` int64: the size of a maximum one-to-one matching (same frame, distance
    ``<= r``) at each threshold ``r``: the true positives. Frames are independent, so
    the sizes of disjoint sets of frames add up."""
    thresholds = np.asarray(thresholds, np.float64)
    n_dt, n_gt = len(dt_xy), len(gt_xy)
    if not (n_dt and n_gt):
        return np.zeros(len(thresholds), np.int64)
    pd_, pg, d = candidate_pairs(dt_frame, dt_xy, gt_frame, gt_xy, float(thresholds.max()),
                                 distance=True)
    # One maximum matching per threshold, computed incrementally (exactly the same
    # sizes; see threshold_matching).
    return matching_sizes(pd_, pg, d, n_dt, n_gt, thresholds)


def _rates(tp: np.ndarray, n_dt: int, n_gt: int) -> tuple[np.ndarray, np.ndarray]:
    """``(precision, recall)`` from the true positives per threshold (NaN where there
    are no predictions / no ground truth)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(n_dt > 0, tp / max(n_dt, 1), np.nan)
        recall = np.where(n_gt > 0, tp / max(n_gt, 1), np.nan)
    return precision.astype(np.float64), recall.astype(np.float64)


def pr_auc(precision: np.ndarray, recall: np.ndarray) -> float:
    """Area under the curve through ``(recall, precision)`` points: sorted by recall,
    trapezoids, held flat at the lowest-recall point's precision down to recall 0.

    >>> pr_auc(np.array([0.5, 1.0]), np.array([0.5, 1.0]))
    0.625
    """
    order = np.lexsort((precision, recall))
    r = np.concatenate([[0.0], recall[order]])
    p = np.concatenate([[precision[order][0]], precision[order]])
    return float(np.sum((r[1:] - r[:-1]) * (p[1:] + p[:-1]) / 2))


@dataclass(frozen=True)
class IdreesResult:
    """Precision / recall / AUC over 1...100 px thresholds (the paper's Table IX)."""

    thresholds: np.ndarray
    precision_curve: np.ndarray
    recall_curve: np.ndarray

    @property
    def precision(self) -> float | None:
        return _mean_or_none(self.precision_curve)

    @property
    def recall(self) -> float | None:
        return _mean_or_none(self.recall_curve)

    @property
    def auc(self) -> float | None:
        if np.isnan(self.precision_curve).any() or np.isnan(self.recall_curve).any():
            return None
        return pr_auc(self.precision_curve, self.recall_curve)

    def to_dict(self) -> dict[str, Any]:
        return {"thresholds": [float(t) for t in self.thresholds],
                "precision": self.precision, "recall": self.recall, "AUC": self.auc}


def _mean_or_none(v: np.ndarray) -> float | None:
    return None if np.isnan(v).any() else float(v.mean())


def compute(ctx: Context) -> IdreesResult:
    al, gt = ctx.al, ctx.gt
    # Block by block (whole frames, ~BLOCK_POINTS points each): a dense split has
    # millions of pairs within 100 px, and one block's search and matching stay small
    # enough to be reused by the allocator and the caches, on the evaluation's threads.
    parts: list[np.ndarray] = []  # list.append is atomic: the blocks' threads share it

    def block(b: tuple[Any, Any]) -> None:
        d, g = b
        parts.append(idrees_matches(al.dt_frame[d], al.dt_xy[d], gt.frame_index[g],
                                    gt.xy[g], IDREES_THRESHOLDS))

    run_all(block, ctx.frame_blocks, ctx.block_threads, "vscrowd-idrees")
    tp = np.sum(parts, axis=0) if parts else np.zeros(len(IDREES_THRESHOLDS), np.int64)
    out = IdreesResult(IDREES_THRESHOLDS, *_rates(tp, len(al.dt_xy), len(gt.xy)))
    ctx.step("idrees")
    return out


def _lines(i: IdreesResult, fmt: str) -> list[str]:
    return [f"Idrees et al. P/R/AUC ({i.thresholds[0]:g}...{i.thresholds[-1]:g} px): "
            f"precision {num(i.precision)}  recall {num(i.recall)}  AUC {num(i.auc)}"]


FAMILY = MetricFamily(
    name="idrees", summary="Idrees et al.'s precision/recall/AUC over 1...100 px (UCF-QNRF)",
    cost=1.2,  # s, dense_eval_speed.py on the 2-core machine, 2026-12-03
    compute=compute,
    to_dict=lambda i: {"idrees": i.to_dict()}, lines=_lines)
