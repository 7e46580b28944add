"""Recall by head size: the σ matching's recall of the heads in each size bucket
(size = sqrt of the head-shoulder box area)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ...errors import ConfigError
from ..text import pct, render
from .base import MetricFamily

__all__ = ["FAMILY", "SizeRecallResult", "size_recall"]


@dataclass(frozen=True)
class SizeRecallResult:
    """Recall per head-size bucket at one σ (size = sqrt of the GT box area)."""

    sigma: float
    table: pd.DataFrame  # bucket, lo, hi, gt_points, AR.50, AR.75, mAR

    def to_dict(self) -> dict[str, Any]:
        return {"sigma": self.sigma,
                "buckets": json.loads(self.table.to_json(orient="records"))}


def size_recall(boxes: np.ndarray, gt_matched: np.ndarray, sigma: float,
                edges: Sequence[float]) -> SizeRecallResult:
    """Recall per head-size bucket; size = sqrt(box area) of the GT head-shoulder box.

    A point prediction has no size, so per-bucket precision is not defined; buckets
    report recall of the GT heads that fall in them, from the one global matching.
    """
    size = np.sqrt(np.clip(boxes[:, 2] - boxes[:, 0], 0, None)
                   * np.clip(boxes[:, 3] - boxes[:, 1], 0, None))
    cuts = [0.0, *[float(e) for e in edges], np.inf]
    names = ["small", "medium", "large"] if len(cuts) == 4 else [
        f"b{i}" for i in range(len(cuts) - 1)]
    rows = []
    for name, lo, hi in zip(names, cuts[:-1], cuts[1:]):
        sel = (size >= lo) & (size < hi)
        n = int(sel.sum())
        rec = gt_matched[:, sel].mean(axis=1) if n else None
        rows.append({"bucket": name, "lo": lo, "hi": hi, "gt_points": n,
                     "AR.50": None if rec is None else float(rec[0]),
                     "AR.75": None if rec is None else float(rec[5]),
                     "mAR": None if rec is None else float(rec.mean())})
    return SizeRecallResult(sigma, pd.DataFrame(rows))


def _lines(sizes: tuple[SizeRecallResult, ...], fmt: str) -> list[str]:
    lines: list[str] = []
    for s in sizes:
        lines.append("")
        lines.append(f"recall by head size at σ={s.sigma:g} (size = sqrt(box area), px)")
        rows = [["bucket", "range", "GT", "AR.50", "mAR"]] + [
            [r.bucket, f"[{r.lo:g}, {r.hi:g})", str(r.gt_points), pct(r["AR.50"]),
             pct(r["mAR"])] for _, r in s.table.iterrows()]
        lines += render(rows, fmt)
    return lines


def compute(ctx) -> tuple[SizeRecallResult, ...]:
    """:func:`size_recall` at each σ.

    Raises:
        ConfigError: the ground truth has points only (every head would be "small").
    """
    if len(ctx.gt) and not ctx.gt.has_box_sizes:
        raise ConfigError("--metric size needs head boxes, but this ground truth has "
                          "points only (ShanghaiTech, UCF-QNRF, Venice, Mall, UCSD): "
                          "every head would be of size 0")
    return tuple(size_recall(ctx.gt.box, ctx.matches[s][1], s, ctx.options.size_edges)
                 for s in ctx.options.sigmas)


FAMILY = MetricFamily(
    name="size", summary="recall by head-size bucket at each σ (size = sqrt(box area))",
    compute=compute,
    to_dict=lambda r: {"size_recall": [s.to_dict() for s in r]} if r else {},
    lines=_lines, options=("sigmas", "size_edges"), heads=True)
