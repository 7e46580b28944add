"""Distance-threshold AP: AP at fixed pixel radii (the DroneCrowd "L-mAP" family).

For each radius r, predictions are matched with the same greedy COCO rule as the
σ-metrics, with "closer is better" as similarity and ``d <= r`` as the match
condition; AP is COCO's 101-point interpolated precision. L-mAP is the mean over
the radii (1...25 px by default).

Deliberate differences from the DroneCrowd Matlab toolkit: no cap on predictions per
frame (it keeps the top 500), and COCO's 101-point interpolation everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..ap import interpolated_precision
from ..matching import candidate_pairs, greedy_match, within
from ..text import pct
from .base import Context, MetricFamily

__all__ = ["DEFAULT_RADII", "FAMILY", "DistanceAPResult", "distance_ap"]

DEFAULT_RADII = np.arange(1.0, 26.0)
DEFAULT_RADII.flags.writeable = False  # a shared default: never changed in place


def distance_ap(dt_frame, dt_xy, dt_rank, order, gt_frame, gt_xy,
                radii: np.ndarray = DEFAULT_RADII, pairs=None) -> np.ndarray | None:
    """``(R,)`` AP per radius, or None without ground truth (``pairs``: a wider
    candidate search to reuse)."""
    if len(gt_xy) == 0:
        return None
    radii = np.asarray(radii, np.float64)
    r = float(radii.max())
    pd_, pg = (candidate_pairs(dt_frame, dt_xy, gt_frame, gt_xy, r) if pairs is None
               else within(pairs, dt_xy, gt_xy, r, pad=True))
    d2 = (dt_xy[pd_, 0] - gt_xy[pg, 0]) ** 2 + (dt_xy[pd_, 1] - gt_xy[pg, 1]) ** 2
    dt_gt, _ = greedy_match(pd_, pg, -d2, dt_rank, len(gt_xy), -(radii**2))
    precision, _ = interpolated_precision(dt_gt[:, order] >= 0, len(gt_xy))
    return precision.mean(axis=1)


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


def compute(ctx: Context) -> DistanceAPResult:
    al, gt = ctx.al, ctx.gt
    r = np.asarray(ctx.options.radii, np.float64)
    out = DistanceAPResult(r, distance_ap(al.dt_frame, al.dt_xy, al.dt_rank, al.order,
                                          gt.frame_index, gt.xy, r,
                                          ctx.shared_pairs(float(r.max()))))
    ctx.step("distance")
    return out


FAMILY = MetricFamily(
    name="distance", summary="AP at fixed pixel radii, L-mAP (DroneCrowd)",
    compute=compute, options=("radii",),
    search_radius=lambda o: float(np.max(o.radii)),
    to_dict=lambda d: {"distance_ap": d.to_dict()},
    lines=lambda d, fmt: [f"distance AP (radii {d.radii[0]:g}...{d.radii[-1]:g} px): L-mAP "
                          f"{pct(d.l_map)}"])
