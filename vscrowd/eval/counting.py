"""Counting errors: MAE, RMSE and NAE over frames (per-frame counts: ``Points.counts``)."""

from __future__ import annotations

import numpy as np

__all__ = ["count_errors"]


def count_errors(pred: np.ndarray, gt: np.ndarray) -> dict[str, float | int | None]:
    """MAE, RMSE and NAE (over frames with gt > 0) of per-frame counts.

    Papers often label RMSE as "MSE"; this is the root of the mean squared error.

    >>> count_errors(np.array([1, 3, 0]), np.array([2, 3, 0]))["MAE"]
    0.3333333333333333
    """
    pred = np.asarray(pred, np.float64)
    gt = np.asarray(gt, np.float64)
    if len(gt) == 0:
        return {"MAE": None, "RMSE": None, "NAE": None, "frames": 0}
    err = pred - gt
    pos = gt > 0
    return {
        "MAE": float(np.mean(np.abs(err))),
        "RMSE": float(np.sqrt(np.mean(err**2))),
        "NAE": float(np.mean(np.abs(err[pos]) / gt[pos])) if pos.any() else None,
        "frames": int(len(gt)),
    }
