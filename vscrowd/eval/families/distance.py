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

from ..ap import interpolated_precision, run_all
from ..candidates import candidate_pairs
from ..matching import greedy_match
from ..text import pct
from .base import Context, MetricFamily

__all__ = ["DEFAULT_RADII", "FAMILY", "DistanceAPResult", "distance_ap", "distance_matches"]

DEFAULT_RADII = np.arange(1.0, 26.0)
DEFAULT_RADII.flags.writeable = False  # a shared default: never changed in place


def distance_ap(dt_frame, dt_xy, dt_rank, order, gt_frame, gt_xy,
                radii: np.ndarray = DEFAULT_RADII) -> np.ndarray | None:
    """``(R,)`` AP per radius, or None without ground truth."""
    if len(gt_xy) == 0:
        return None
    matched = distance_matches(dt_frame, dt_xy, dt_rank, gt_frame, gt_xy, radii)
    return _ap(matched, order, len(gt_xy))


def distance_matches(dt_frame, dt_xy, dt_rank, gt_frame, gt_xy,
                     radii: np.ndarray = DEFAULT_RADII) -> np.ndarray:
    """``(R, D)`` bool: which predictions the greedy rule matches at each radius
    (``dt_rank``: rank within frame by score). Frames are independent: the matches of
    disjoint sets of whole frames can be computed apart."""
    radii = np.asarray(radii, np.float64)
    pd_, pg = candidate_pairs(dt_frame, dt_xy, gt_frame, gt_xy, float(radii.max()))
    d2 = (dt_xy[pd_, 0] - gt_xy[pg, 0]) ** 2 + (dt_xy[pd_, 1] - gt_xy[pg, 1]) ** 2
    dt_gt, _ = greedy_match(pd_, pg, -d2, dt_rank, len(gt_xy), -(radii**2))
    return dt_gt >= 0


def _ap(matched: np.ndarray, order: np.ndarray, n_gt: int) -> np.ndarray:
    precision, _ = interpolated_precision(matched[:, order], n_gt)
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
    ap = None
    if len(gt.xy):
        # Block by block (whole frames), as the σ matching: small arrays, all threads.
        matched = np.empty((len(r), len(al.dt_xy)), bool)  # the blocks cover every column

        def block(b: tuple[Any, Any]) -> None:
            d, g = b
            matched[:, d] = distance_matches(al.dt_frame[d], al.dt_xy[d], al.rank_of(d),
                                             gt.frame_index[g], gt.xy[g], r)

        run_all(block, ctx.frame_blocks, ctx.block_threads, "vscrowd-distance")
        ap = _ap(matched, al.order, len(gt.xy))
    ctx.step("distance")
    return DistanceAPResult(r, ap)


FAMILY = MetricFamily(
    name="distance", summary="AP at fixed pixel radii, L-mAP (DroneCrowd)",
    cost=0.4,  # s, dense_eval_speed.py on the 2-core machine, 2026-12-03
    compute=compute, options=("radii",),
    to_dict=lambda d: {"distance_ap": d.to_dict()},
    lines=lambda d, fmt: [f"distance AP (radii {d.radii[0]:g}...{d.radii[-1]:g} px): L-mAP "
                          f"{pct(d.l_map)}"])
