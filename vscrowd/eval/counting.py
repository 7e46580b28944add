"""Counting errors: MAE, RMSE and NAE over frames (per-frame counts: ``Points.counts``)."""

from __future__ import annotations

import numpy as np

from .family_results import CountingResult

__all__ = ["count_errors"]


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
