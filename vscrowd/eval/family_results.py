"""The result of each metric family: frozen dataclasses with named fields and
``to_dict()`` (keys in docs/metrics.md)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = ["BoxThresholdResult", "CountingResult", "DistanceAPResult", "IdreesResult",
           "LocalizationResult", "SizeRecallResult"]


def _f(v: float | None) -> float | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else float(v)


@dataclass(frozen=True)
class LocalizationResult:
    """σ-thresholded AP/AR at one σ.

    Attributes:
        sigma: Positive range σ in pixels.
        thresholds: ``(10,)`` similarity thresholds 0.50...0.95.
        precision: ``(10, 101)`` interpolated precision at recall 0:0.01:1, or None
            when the split has no ground-truth heads (AP undefined).
        recall: ``(10,)`` final recall per threshold, or None when undefined.
    """

    sigma: float
    thresholds: np.ndarray
    precision: np.ndarray | None
    recall: np.ndarray | None

    @property
    def ap(self) -> np.ndarray | None:
        """``(10,)`` AP per threshold (mean interpolated precision)."""
        return None if self.precision is None else self.precision.mean(axis=1)

    @property
    def ap50(self) -> float | None:
        return None if self.ap is None else float(self.ap[0])

    @property
    def ap75(self) -> float | None:
        return None if self.ap is None else float(self.ap[5])

    @property
    def map(self) -> float | None:
        """Mean AP over the 10 thresholds."""
        return None if self.precision is None else float(self.precision.mean())

    @property
    def ar50(self) -> float | None:
        return None if self.recall is None else float(self.recall[0])

    @property
    def ar75(self) -> float | None:
        return None if self.recall is None else float(self.recall[5])

    @property
    def mar(self) -> float | None:
        """Mean final recall over the 10 thresholds."""
        return None if self.recall is None else float(self.recall.mean())

    def to_dict(self) -> dict[str, Any]:
        """The ``localization`` entry of the JSON output."""
        return {
            "sigma": self.sigma if not float(self.sigma).is_integer() else int(self.sigma),
            "AP.50": self.ap50, "AP.75": self.ap75, "mAP": self.map,
            "AR.50": self.ar50, "AR.75": self.ar75, "mAR": self.mar,
            "AP": None if self.ap is None else [float(v) for v in self.ap],
            "AR": None if self.recall is None else [float(v) for v in self.recall],
        }


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


@dataclass(frozen=True)
class BoxThresholdResult:
    """NWPU-style P/R/F1 with per-head radius from the head-shoulder box."""

    radius: Literal["sigma_s", "sigma_l"]
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None
                                                    else None)

    def to_dict(self) -> dict[str, Any]:
        return {"radius": self.radius, "TP": self.tp, "FP": self.fp, "FN": self.fn,
                "P": self.precision, "R": self.recall, "F1": self.f1}


@dataclass(frozen=True)
class DistanceAPResult:
    """AP at fixed pixel radii (the DroneCrowd L-mAP family)."""

    radii: np.ndarray
    ap: np.ndarray | None

    @property
    def l_map(self) -> float | None:
        return None if self.ap is None else float(self.ap.mean())

    def to_dict(self) -> dict[str, Any]:
        return {"radii": [float(r) for r in self.radii], "L-mAP": self.l_map,
                "AP": None if self.ap is None else [float(v) for v in self.ap]}


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
        from .idrees import pr_auc

        if np.isnan(self.precision_curve).any() or np.isnan(self.recall_curve).any():
            return None
        return pr_auc(self.precision_curve, self.recall_curve)

    def to_dict(self) -> dict[str, Any]:
        return {"thresholds": [float(t) for t in self.thresholds],
                "precision": self.precision, "recall": self.recall, "AUC": self.auc}


def _mean_or_none(v: np.ndarray) -> float | None:
    return None if np.isnan(v).any() else float(v.mean())


@dataclass(frozen=True)
class SizeRecallResult:
    """Recall per head-size bucket at one σ (size = sqrt of the GT box area)."""

    sigma: float
    table: pd.DataFrame  # bucket, lo, hi, gt_points, AR.50, AR.75, mAR

    def to_dict(self) -> dict[str, Any]:
        return {"sigma": self.sigma,
                "buckets": json.loads(self.table.to_json(orient="records"))}
