"""σ-thresholded localization AP/AR (the VSCrowd / RAZNet protocol).

Similarity of prediction p and ground truth g is ``exp(-d² / (2σ²))`` -- exactly
pycocotools' keypoint OKS with one keypoint, ``kpt_oks_sigmas=[0.5]`` and GT area
σ²; it is evaluated with the same floating-point operations so that matching
decisions agree bit for bit. A match needs ``s >= t`` for t in 0.50:0.05:0.95, i.e.
``d <= σ·sqrt(2·ln(1/t))`` (at most 1.18σ).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .ap import COCO_THRESHOLDS
from .candidates import candidate_pairs
from .matching import greedy_match_many

__all__ = ["candidate_radius", "match_radius", "oks_similarity", "sigma_matches",
           "sigma_matches_many"]


def match_radius(sigma: float, threshold: float) -> float:
    """Largest distance that still matches at ``threshold``: ``σ·sqrt(2 ln(1/t))``.

    >>> round(match_radius(20, 0.5), 4)
    23.5482
    """
    return sigma * math.sqrt(2.0 * math.log(1.0 / threshold))


def oks_similarity(dt_xy, gt_xy, pair_dt, pair_gt, sigma: float) -> np.ndarray:
    """``exp(-d²/(2σ²))`` for each pair, computed like pycocotools' ``computeOks``."""
    dx = dt_xy[pair_dt, 0] - gt_xy[pair_gt, 0]
    dy = dt_xy[pair_dt, 1] - gt_xy[pair_gt, 1]
    # pycocotools: e = (dx**2 + dy**2) / vars / (area + eps) / 2 with vars = (2*0.5)**2.
    e = (dx**2 + dy**2) / 1.0 / (float(sigma) ** 2 + np.spacing(1)) / 2
    return np.exp(-e)


def candidate_radius(sigma: float, thresholds: np.ndarray = COCO_THRESHOLDS) -> float:
    """Search radius that contains every pair that can match at ``thresholds``."""
    return match_radius(sigma, float(np.min(thresholds))) * (1 + 1e-9) + 1e-9


def sigma_matches(dt_frame, dt_xy, dt_rank, gt_frame, gt_xy, sigma: float,
                  thresholds: np.ndarray = COCO_THRESHOLDS):
    """Greedy matches at each threshold: ``(dt_gt (T, D), gt_matched (T, G))``."""
    return sigma_matches_many(dt_frame, dt_xy, dt_rank, gt_frame, gt_xy, (sigma,),
                              thresholds)[sigma]


def sigma_matches_many(dt_frame, dt_xy, dt_rank, gt_frame, gt_xy, sigmas: Sequence[float],
                       thresholds: np.ndarray = COCO_THRESHOLDS
                       ) -> dict[float, tuple[np.ndarray, np.ndarray]]:
    """:func:`sigma_matches` for each σ, from one candidate search and one set of
    components and rounds (``matching.greedy_match_many``): the same matches."""
    # The match limit for t uses min(t, 1 - 1e-10) as in pycocotools.
    thr = np.minimum(np.asarray(thresholds, np.float64), 1 - 1e-10)
    pd_, pg = candidate_pairs(dt_frame, dt_xy, gt_frame, gt_xy,
                              candidate_radius(max(sigmas), thr))
    sims = [oks_similarity(dt_xy, gt_xy, pd_, pg, s) for s in sigmas]
    out = greedy_match_many(pd_, pg, sims, dt_rank, len(gt_xy), thr)
    return dict(zip(sigmas, out))
