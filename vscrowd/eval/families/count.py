"""Counting errors: MAE, RMSE and NAE over frames, a frame counting its points with score
>= the count threshold (per-frame counts: ``Points.counts``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..text import num, render
from .base import MetricFamily

__all__ = ["FAMILY", "CountingResult", "count_errors"]


@dataclass(frozen=True)
class CountingResult:
    """Counting errors over frames (count = points with score >= threshold)."""

    mae: float | None
    rmse: float | None
    nae: float | None
    frames: int
    threshold: float

    def to_dict(self) -> dict[str, Any]:
        return {"MAE": self.mae, "RMSE": self.rmse, "NAE": self.nae, "frames": self.frames,
                "count_threshold": self.threshold}


def count_errors(pred: np.ndarray, gt: np.ndarray, threshold: float = 0.5) -> CountingResult:
    """MAE, RMSE and NAE (over frames with gt > 0) of per-frame counts (``threshold``:
    the score a point needed to be counted, recorded in the result).

    Papers often label RMSE as "MSE"; this is the root of the mean squared error.

    >>> count_errors(np.array([1, 3, 0]), np.array([2, 3, 0])).mae
    0.3333333333333333
    """
    pred = np.asarray(pred, np.float64)
    gt = np.asarray(gt, np.float64)
    if len(gt) == 0:
        return CountingResult(None, None, None, 0, threshold)
    err = pred - gt
    pos = gt > 0
    nae = float(np.mean(np.abs(err[pos]) / gt[pos])) if pos.any() else None
    return CountingResult(float(np.mean(np.abs(err))), float(np.sqrt(np.mean(err**2))), nae,
                          int(len(gt)), threshold)


def lines(c: CountingResult, fmt: str) -> list[str]:
    return ["", *render([["MAE", "RMSE", "NAE", "frames"],
                         [num(c.mae), num(c.rmse), num(c.nae), str(c.frames)]], fmt),
            f"(counts: points with score >= {c.threshold}; RMSE is the root mean squared "
            "error that papers label 'MSE')"]


FAMILY = MetricFamily(
    name="count", summary="MAE, RMSE and NAE of per-frame counts (score >= count threshold)",
    compute=lambda ctx: count_errors(ctx.pred_counts, ctx.gt_counts,
                                     ctx.options.count_threshold),
    to_dict=lambda c: {"counting": c.to_dict()}, lines=lines,
    options=("count_threshold",), headline=True)
