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

from ..matching import candidate_pairs
from ..text import num
from ..threshold_matching import matching_sizes
from .base import Context, MetricFamily

__all__ = ["FAMILY", "IDREES_THRESHOLDS", "IdreesResult", "idrees_curve", "pr_auc"]

IDREES_THRESHOLDS = np.arange(1.0, 101.0)
IDREES_THRESHOLDS.flags.writeable = False


def idrees_curve(dt_frame: np.ndarray, dt_xy: np.ndarray, gt_frame: np.ndarray,
                 gt_xy: np.ndarray, thresholds: np.ndarray = IDREES_THRESHOLDS,
                 pairs: tuple[np.ndarray, np.ndarray] | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """``(precision, recall)``, each ``(R,)`` float64, one entry per threshold (px);
    ``pairs``: a wider candidate search to reuse.

    Example:
        >>> f = np.zeros(2, np.int64)
        >>> p, r = idrees_curve(f, np.array([[0., 0.], [10., 0.]]), np.zeros(1, np.int64),
        ...                     np.array([[3., 0.]]), np.array([2.0, 3.0, 8.0]))
        >>> p.tolist(), r.tolist()
        ([0.0, 0.5, 0.5], [0.0, 1.0, 1.0])
    """
    thresholds = np.asarray(thresholds, np.float64)
    n_dt, n_gt = len(dt_xy), len(gt_xy)
    tp = np.zeros(len(thresholds), np.int64)
    if n_dt and n_gt:
        # A wider search's pairs need no filtering: those beyond the largest threshold
        # are never admitted by matching_sizes.
        pd_, pg = (candidate_pairs(dt_frame, dt_xy, gt_frame, gt_xy, float(thresholds.max()))
                   if pairs is None else pairs)
        d = np.hypot(dt_xy[pd_, 0] - gt_xy[pg, 0], dt_xy[pd_, 1] - gt_xy[pg, 1])
        # One maximum matching per threshold, computed incrementally (exactly the same
        # sizes; see threshold_matching).
        tp = matching_sizes(pd_, pg, d, n_dt, n_gt, thresholds)
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
    out = IdreesResult(IDREES_THRESHOLDS, *idrees_curve(
        al.dt_frame, al.dt_xy, gt.frame_index, gt.xy, IDREES_THRESHOLDS,
        ctx.shared_pairs(float(IDREES_THRESHOLDS.max()))))
    ctx.step("idrees")
    return out


def _lines(i: IdreesResult, fmt: str) -> list[str]:
    return [f"Idrees et al. P/R/AUC ({i.thresholds[0]:g}...{i.thresholds[-1]:g} px): "
            f"precision {num(i.precision)}  recall {num(i.recall)}  AUC {num(i.auc)}"]


FAMILY = MetricFamily(
    name="idrees", summary="Idrees et al.'s precision/recall/AUC over 1...100 px (UCF-QNRF)",
    compute=compute, search_radius=lambda o: float(IDREES_THRESHOLDS.max()),
    to_dict=lambda i: {"idrees": i.to_dict()}, lines=_lines)
