"""Distance-threshold AP: AP at fixed pixel radii (the DroneCrowd "L-mAP" family).

For each radius r, predictions are matched with the same greedy COCO rule as the
σ-metrics, with "closer is better" as similarity and ``d <= r`` as the match
condition; AP is COCO's 101-point interpolated precision. L-mAP is the mean over
the radii (1...25 px by default).

Deliberate differences from the DroneCrowd Matlab toolkit: no cap on predictions per
frame (it keeps the top 500), and COCO's 101-point interpolation everywhere.
"""

from __future__ import annotations

import numpy as np

from .ap import interpolated_precision
from .matching import candidate_pairs, greedy_match, within

__all__ = ["DEFAULT_RADII", "distance_ap"]

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
