"""σ-thresholded AP/AR (the benchmark's number): a prediction matches a head when their
similarity ``exp(-d² / (2σ²))`` reaches the threshold (0.50...0.95), greedily in score
order as COCO does; AP is COCO's 101-point interpolated precision (docs/metrics.md)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..ap import COCO_THRESHOLDS, interpolated_precision
from ..text import pct, render
from .base import Context, MetricFamily

__all__ = ["FAMILY", "LocalizationResult"]


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


def compute(ctx: Context) -> tuple[LocalizationResult, ...]:
    """σ-AP/AR per σ from the shared σ matching."""
    out = []
    for s in ctx.options.sigmas:
        dt_matched, _ = ctx.matches[s]
        prec = rec = None
        if len(ctx.gt):
            prec, rec = interpolated_precision(dt_matched, len(ctx.gt), order=ctx.al.order,
                                               threads=ctx.block_threads)
        out.append(LocalizationResult(s, COCO_THRESHOLDS.copy(), prec, rec))
        ctx.step(f"σ={s:g}")
    return tuple(out)


def summary_table(results: tuple[LocalizationResult, ...]) -> pd.DataFrame:
    """The paper-shaped table: rows σ; AP.50 AP.75 mAP AR.50 AR.75 mAR."""
    rows = [{k: v for k, v in r.to_dict().items() if k not in ("AP", "AR")} for r in results]
    return pd.DataFrame(rows).set_index("sigma") if rows else pd.DataFrame()


def lines(results: tuple[LocalizationResult, ...], fmt: str) -> list[str]:
    loc = summary_table(results)
    if not len(loc):
        return []
    header = ["σ", "AP.50", "AP.75", "mAP", "AR.50", "AR.75", "mAR"]
    body = [[str(s)] + [pct(v) for v in row] for s, row in
            zip(loc.index, loc.to_numpy(dtype=object))]
    return render([header, *body], fmt)


FAMILY = MetricFamily(
    name="sigma", summary="σ-thresholded AP/AR at each σ (the benchmark's number)",
    cost=0.9,  # s, dense_eval_speed.py on the 2-core machine, 2026-12-03
    compute=compute, lines=lines, options=("sigmas",), headline=True,
    to_dict=lambda results: {"localization": [r.to_dict() for r in results]}
    if results else {})
