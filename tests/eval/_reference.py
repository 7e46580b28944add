"""The σ-thresholded AP/AR rule, written to be read: the specification the fast evaluator
(vscrowd/eval/localization.py, matching.py, ap.py) is checked against, beside pycocotools.

Plain Python and NumPy, one frame and one prediction at a time, in the shape of
pycocotools' ``COCOeval.evaluateImg`` + ``accumulate`` with the VSCrowd settings
(one keypoint, ``kpt_oks_sigmas = [0.5]``, GT area σ², every prediction kept). Slow on
purpose: no candidate search, no blocks, no packed sorts.
"""

from __future__ import annotations

import numpy as np

THRESHOLDS = np.linspace(0.5, 0.95, 10)          # similarity thresholds t
RECALL_POINTS = np.linspace(0.0, 1.0, 101)       # where precision is sampled


def similarity(p, g, sigma):
    """exp(-d²/(2σ²)), with the operations of pycocotools' computeOks."""
    e = ((p[0] - g[0]) ** 2 + (p[1] - g[1]) ** 2) / 1.0 / (sigma ** 2 + np.spacing(1)) / 2
    return float(np.exp(-e))


def match_frame(gt, dt, sigma, t):
    """True/false per prediction of one frame, predictions taken by falling score.

    Each prediction takes the unmatched head of highest similarity >= t; among equal
    similarities the later head wins (pycocotools' loop keeps the last one it meets).
    """
    order = sorted(range(len(dt)), key=lambda i: -dt[i][2])  # stable: file order on ties
    taken = [False] * len(gt)
    hit = {}
    for i in order:
        best, best_sim = -1, min(t, 1 - 1e-10)
        for j, g in enumerate(gt):
            if taken[j]:
                continue
            s = similarity(dt[i], g, sigma)
            if s < best_sim:
                continue
            best, best_sim = j, s
        hit[i] = best >= 0
        if best >= 0:
            taken[best] = True
    return [(dt[i][2], hit[i]) for i in order]


def sigma_ap(gt_frames, dt_frames, sigma):
    """(precision (T, 101), recall (T,)) over all frames; -1 everywhere without heads."""
    n_gt = sum(len(g) for g in gt_frames)
    precision = -np.ones((len(THRESHOLDS), len(RECALL_POINTS)))
    recall = -np.ones(len(THRESHOLDS))
    if n_gt == 0:
        return precision, recall
    for k, t in enumerate(THRESHOLDS):
        scored = [m for g, d in zip(gt_frames, dt_frames) for m in match_frame(g, d, sigma, t)]
        # Pool the frames (each already in falling-score order) and sort stably by score.
        scored = [scored[i] for i in np.argsort([-s for s, _ in scored], kind="mergesort")]
        tp = np.cumsum([h for _, h in scored], dtype=float)
        fp = np.cumsum([not h for _, h in scored], dtype=float)
        rc = tp / n_gt
        pr = tp / (fp + tp + np.spacing(1))
        recall[k] = rc[-1] if len(rc) else 0.0
        # Interpolated precision: the best precision at any recall >= r.
        for i in range(len(pr) - 1, 0, -1):
            pr[i - 1] = max(pr[i - 1], pr[i])
        q = np.zeros(len(RECALL_POINTS))
        for r_i, r in enumerate(RECALL_POINTS):
            i = int(np.searchsorted(rc, r, side="left"))
            if i < len(pr):
                q[r_i] = pr[i]
        precision[k] = q
    return precision, recall
