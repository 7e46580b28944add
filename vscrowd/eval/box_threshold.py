"""Box-threshold P/R/F1 in the style of the NWPU-Crowd localization leaderboard.

A prediction may match a ground-truth head when ``d <= σ_gt``; matches are a
one-to-one *maximum* bipartite matching per frame, and TP/FP/FN are summed over
frames. VSCrowd has head-shoulder boxes, so each head gets ``σ_s = min(w, h) / 2``
(strict) and ``σ_l = sqrt(w² + h²) / 2`` (loose).
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from .family_results import BoxThresholdResult
from .matching import candidate_pairs, max_bipartite_match, within

__all__ = ["box_sigmas", "box_threshold_counts"]


def box_sigmas(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(σ_s, σ_l)`` per box ``(x1, y1, x2, y2)``.

    >>> [s.tolist() for s in box_sigmas(np.array([[0, 0, 6, 8]]))]
    [[3.0], [5.0]]
    """
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    return np.minimum(w, h) / 2.0, np.sqrt(w**2 + h**2) / 2.0


def box_threshold_counts(dt_frame, dt_xy, gt_frame, gt_xy, gt_sigma, pairs=None, *,
                         radius: Literal["sigma_s", "sigma_l"] = "sigma_s"
                         ) -> BoxThresholdResult:
    """TP, FP and FN of the maximum matching with per-GT radius ``gt_sigma``, labelled
    ``radius`` (``pairs``: a wider candidate search to reuse, see ``matching.within``)."""
    n_dt, n_gt = len(dt_xy), len(gt_xy)
    tp = 0
    if n_dt and n_gt:
        reach = float(np.max(gt_sigma, initial=0.0))
        pd_, pg = (candidate_pairs(dt_frame, dt_xy, gt_frame, gt_xy, reach) if pairs is None
                   else within(pairs, dt_xy, gt_xy, reach, pad=True))
        d = np.hypot(dt_xy[pd_, 0] - gt_xy[pg, 0], dt_xy[pd_, 1] - gt_xy[pg, 1])
        ok = d <= gt_sigma[pg]
        match = max_bipartite_match(pd_[ok], pg[ok], n_dt, n_gt)
        tp = int((match >= 0).sum())
    return BoxThresholdResult(radius, tp, n_dt - tp, n_gt - tp)
