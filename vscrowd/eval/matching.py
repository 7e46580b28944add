"""Point matching shared by every localization metric.

Candidate pairs come from one KD-tree query over all frames at once (frames are kept
apart by a third coordinate), so nothing dense is ever built. Two matchers use them:

* :func:`greedy_match` -- COCO's rule, used by σ-thresholded AP/AR and distance AP:
  per frame, predictions in descending score order (stable) each take the still
  unmatched ground truth of highest similarity at or above the threshold; on exactly
  equal similarity the later ground truth wins (as in pycocotools).
* :func:`max_bipartite_match` -- one-to-one maximum matching (NWPU-style P/R/F1).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import maximum_bipartite_matching
from scipy.spatial import cKDTree

__all__ = ["candidate_pairs", "greedy_match", "max_bipartite_match", "rank_in_frame",
           "within"]


def candidate_pairs(
    dt_frame: np.ndarray,
    dt_xy: np.ndarray,
    gt_frame: np.ndarray,
    gt_xy: np.ndarray,
    radius: float,
) -> tuple[np.ndarray, np.ndarray]:
    """All (prediction, ground truth) pairs of the same frame within ``radius``.

    Args:
        dt_frame, gt_frame: ``(D,)``/``(G,)`` int frame index of each point.
        dt_xy, gt_xy: ``(D, 2)``/``(G, 2)`` float64 coordinates.
        radius: Euclidean distance bound (inclusive, up to float rounding: callers
            re-test the exact condition on the returned pairs).

    Returns:
        ``(dt_idx, gt_idx)`` int64 arrays, sorted by ``dt_idx`` then ``gt_idx``.
    """
    if len(dt_xy) == 0 or len(gt_xy) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    lo = min(dt_xy.min(initial=0), gt_xy.min(initial=0))
    hi = max(dt_xy.max(initial=0), gt_xy.max(initial=0))
    # Frames are separated along a third axis by more than the radius and the extent.
    gap = 4.0 * (radius + (hi - lo) + 1.0)
    pad = radius * 1e-9 + 1e-9
    a = np.column_stack([dt_xy, dt_frame * gap])
    b = np.column_stack([gt_xy, gt_frame * gap])
    ta, tb = cKDTree(a), cKDTree(b)
    res = ta.sparse_distance_matrix(tb, radius + pad, output_type="ndarray")
    di, gi = res["i"].astype(np.int64), res["j"].astype(np.int64)
    order = np.lexsort((gi, di))
    return di[order], gi[order]


def within(pairs: tuple[np.ndarray, np.ndarray], dt_xy: np.ndarray, gt_xy: np.ndarray,
           radius: float, pad: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """The pairs of a wider :func:`candidate_pairs` search that lie within ``radius``
    (order kept): every metric reuses the one search ``evaluate`` makes. ``pad`` widens
    the bound as :func:`candidate_pairs` does, for callers that re-test the exact
    condition (so the kept pairs are the ones a search at ``radius`` returns)."""
    pd_, pg = pairs
    d2 = (dt_xy[pd_, 0] - gt_xy[pg, 0]) ** 2 + (dt_xy[pd_, 1] - gt_xy[pg, 1]) ** 2
    if pad:
        radius = radius + radius * 1e-9 + 1e-9
    keep = d2 <= radius**2
    return pd_[keep], pg[keep]


def rank_in_frame(frame: np.ndarray, score: np.ndarray) -> np.ndarray:
    """Position of each prediction in its frame when sorted by score (stable, desc).

    >>> rank_in_frame(np.array([0, 0, 1, 0]), np.array([.5, .9, .1, .5])).tolist()
    [1, 0, 0, 2]
    """
    order = np.lexsort((np.arange(len(frame)), -score, frame))
    f = frame[order]
    starts = np.r_[0, np.flatnonzero(f[1:] != f[:-1]) + 1] if len(f) else np.empty(0, int)
    first = np.repeat(starts, np.diff(np.r_[starts, len(f)]))
    rank = np.empty(len(frame), np.int64)
    rank[order] = np.arange(len(frame)) - first
    return rank


def greedy_match(
    pair_dt: np.ndarray,
    pair_gt: np.ndarray,
    pair_sim: np.ndarray,
    dt_rank: np.ndarray,
    n_gt: int,
    thresholds: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """COCO-style greedy matching at several similarity thresholds at once.

    Predictions of the same rank (see :func:`rank_in_frame`) all lie in different
    frames and so never compete; each round therefore settles one rank across all
    frames and thresholds with array operations.

    Args:
        pair_dt, pair_gt: ``(P,)`` candidate pairs (same frame).
        pair_sim: ``(P,)`` similarity; higher is better.
        dt_rank: ``(D,)`` rank of each prediction within its frame.
        n_gt: Number of ground-truth points.
        thresholds: ``(T,)`` minimum similarity for a match (``sim >= t``).

    Returns:
        ``dt_gt`` ``(T, D)`` int64: matched ground-truth index or -1, and
        ``gt_matched`` ``(T, G)`` bool.
    """
    thresholds = np.asarray(thresholds, np.float64)
    n_t, n_dt = len(thresholds), len(dt_rank)
    dt_gt = np.full((n_t, n_dt), -1, np.int64)
    gt_matched = np.zeros((n_t, n_gt), bool)
    if len(pair_dt) == 0:
        return dt_gt, gt_matched
    keep = pair_sim >= thresholds.min()
    pair_dt, pair_gt, pair_sim = pair_dt[keep], pair_gt[keep], pair_sim[keep]
    r = dt_rank[pair_dt]
    # Within a prediction: ascending similarity, then ground-truth index, so the
    # last valid pair is the best one with ties going to the later ground truth.
    order = np.lexsort((pair_gt, pair_sim, pair_dt, r))
    pair_dt, pair_gt, pair_sim, r = pair_dt[order], pair_gt[order], pair_sim[order], r[order]
    bounds = np.flatnonzero(np.diff(r)) + 1
    starts = np.r_[0, bounds]
    ends = np.r_[bounds, len(r)]
    t_col = thresholds[:, None]
    for s, e in zip(starts, ends):
        pd_, pg, ps = pair_dt[s:e], pair_gt[s:e], pair_sim[s:e]
        valid = (ps[None, :] >= t_col) & ~gt_matched[:, pg]
        if not valid.any():
            continue
        # Last valid pair of each (threshold, prediction) group.
        ti, pi = np.nonzero(valid)
        g_dt = pd_[pi]
        last = np.ones(len(pi), bool)
        last[:-1] = (ti[1:] != ti[:-1]) | (g_dt[1:] != g_dt[:-1])
        ti, pi = ti[last], pi[last]
        dt_gt[ti, pd_[pi]] = pg[pi]
        gt_matched[ti, pg[pi]] = True
    return dt_gt, gt_matched


def max_bipartite_match(pair_dt: np.ndarray, pair_gt: np.ndarray, n_dt: int,
                        n_gt: int) -> np.ndarray:
    """Maximum one-to-one matching on the candidate graph (all frames at once).

    Returns:
        ``(D,)`` int64 matched ground-truth index of each prediction, or -1.
    """
    if len(pair_dt) == 0 or n_dt == 0 or n_gt == 0:
        return np.full(n_dt, -1, np.int64)
    graph = sparse.csr_matrix((np.ones(len(pair_dt), np.int8), (pair_dt, pair_gt)),
                              shape=(n_dt, n_gt))
    return maximum_bipartite_matching(graph, perm_type="column").astype(np.int64)
