"""Point matching shared by every localization metric.

Candidate pairs come from one grid search over all frames at once (cells keyed by
frame, row and column), so nothing dense is ever built. Two matchers use them:

* :func:`greedy_match` -- COCO's rule, used by σ-thresholded AP/AR and distance AP:
  per frame, predictions in descending score order (stable) each take the still
  unmatched ground truth of highest similarity at or above the threshold; on exactly
  equal similarity the later ground truth wins (as in pycocotools).
* :func:`max_bipartite_match` -- one-to-one maximum matching (NWPU-style P/R/F1).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components, maximum_bipartite_matching

from . import tuning
from .sorting import sort_ints, stable_argsort

__all__ = ["candidate_pairs", "greedy_match", "max_bipartite_match", "pooled_order",
           "rank_in_frame", "ranges", "score_orders", "within"]


def candidate_pairs(
    dt_frame: np.ndarray,
    dt_xy: np.ndarray,
    gt_frame: np.ndarray,
    gt_xy: np.ndarray,
    radius: float,
) -> tuple[np.ndarray, np.ndarray]:
    """All (prediction, ground truth) pairs of the same frame within ``radius``.

    A uniform grid of cells no smaller than the radius, keyed by (frame, row, column):
    a pair can only join a prediction to the three cells around it in each of three
    rows, and those are one contiguous key range per row of the ground truth sorted by
    key, read from a table of cell starts (or found by binary search where the cells
    are too many for a table). Coordinates so far apart that the keys would not fit
    64 bits use a KD-tree instead (same pairs).

    Args:
        dt_frame, gt_frame: ``(D,)``/``(G,)`` int frame index of each point.
        dt_xy, gt_xy: ``(D, 2)``/``(G, 2)`` float64 coordinates.
        radius: Euclidean distance bound (inclusive, up to float rounding: callers
            re-test the exact condition on the returned pairs).

    Returns:
        ``(dt_idx, gt_idx)`` int64 arrays, one entry per pair, in no particular order
        (every consumer orders or counts them itself).
    """
    if len(dt_xy) == 0 or len(gt_xy) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    reach = radius + radius * 1e-9 + 1e-9
    # Cells a little wider than the reach: two points within it are never two cells apart.
    cell = reach * (1 + 1e-6) + 1e-6
    # Column by column: a reduction over axis 0 of an (N, 2) array is ~30x slower.
    lo = np.array([min(dt_xy[:, k].min(), gt_xy[:, k].min()) for k in (0, 1)])
    hi = np.array([max(dt_xy[:, k].max(), gt_xy[:, k].max()) for k in (0, 1)])
    nx, ny = (int(v) + 3 for v in (hi - lo) / cell)
    f0 = int(min(dt_frame.min(), gt_frame.min()))
    frames = int(max(dt_frame.max(), gt_frame.max())) - f0 + 1
    if float(nx) * ny * frames >= 2.0**62:
        return _kdtree_pairs(dt_frame, dt_xy, gt_frame, gt_xy, reach)
    g_order, g_sorted = sort_ints(_cell_keys(gt_frame - f0, gt_xy, lo, cell, nx, ny))
    d_order, d_sorted = sort_ints(_cell_keys(dt_frame - f0, dt_xy, lo, cell, nx, ny))
    rows = d_sorted[None, :] + np.array([-nx, 0, nx])[:, None]  # (3, D)
    first, end = _cell_ranges(g_sorted, (rows - 1).ravel(), (rows + 2).ravel(),
                              frames * ny * nx)
    count = end - first
    di = np.repeat(np.tile(d_order, 3), count)
    gi = g_order[ranges(first, count)]
    d2 = (dt_xy[di, 0] - gt_xy[gi, 0]) ** 2 + (dt_xy[di, 1] - gt_xy[gi, 1]) ** 2
    keep = d2 <= reach**2
    return di[keep], gi[keep]


def ranges(start: np.ndarray, count: np.ndarray) -> np.ndarray:
    """``concatenate([arange(s, s + c) for s, c in zip(start, count)])`` as one int64
    array, without a Python loop (a ragged gather: the rows of a CSR table, the cells
    of a grid).

    >>> ranges(np.array([5, 0, 9]), np.array([2, 0, 3])).tolist()
    [5, 6, 9, 10, 11]
    """
    start, count = np.asarray(start, np.int64), np.asarray(count, np.int64)
    offset = np.cumsum(count) - count  # where each range begins in the output
    return np.repeat(start - offset, count) + np.arange(int(count.sum()), dtype=np.int64)


def _cell_keys(frame: np.ndarray, xy: np.ndarray, lo: np.ndarray, cell: float, nx: int,
               ny: int) -> np.ndarray:
    """int64 key of each point's cell, ``(frame, row, column)`` in row-major order
    (rows and columns from 1, so every neighbour key is non-negative)."""
    c = ((xy - lo) / cell).astype(np.int64) + 1
    return (frame.astype(np.int64) * ny + c[:, 1]) * nx + c[:, 0]


def _cell_ranges(g_sorted: np.ndarray, lo: np.ndarray, hi: np.ndarray, n_cells: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Positions in the sorted keys of the first key >= ``lo`` and the first >= ``hi``:
    read from a table of where each cell starts when the cells are few enough (a
    frame block's worth), else two binary searches."""
    if n_cells > min(tuning.DENSE_CELLS, 8 * (len(g_sorted) + len(lo))) or len(g_sorted) >= 2**31:
        return np.searchsorted(g_sorted, lo), np.searchsorted(g_sorted, hi)
    # Cells present and their sizes from the sorted keys, summed in place: no int64
    # bincount of every cell beside the table.
    new = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1]])
    start = np.zeros(n_cells + 1, np.int32)
    start[g_sorted[new] + 1] = np.diff(np.r_[new, len(g_sorted)])
    np.cumsum(start, out=start)
    return start[lo].astype(np.int64), start[hi].astype(np.int64)


def _kdtree_pairs(dt_frame, dt_xy, gt_frame, gt_xy, reach: float
                  ) -> tuple[np.ndarray, np.ndarray]:
    from scipy.spatial import cKDTree  # rare: only coordinates beyond the grid's reach

    lo = min(dt_xy.min(initial=0), gt_xy.min(initial=0))
    hi = max(dt_xy.max(initial=0), gt_xy.max(initial=0))
    # Frames are separated along a third axis by more than the radius and the extent.
    gap = 4.0 * (reach + (hi - lo) + 1.0)
    a = np.column_stack([dt_xy, dt_frame * gap])
    b = np.column_stack([gt_xy, gt_frame * gap])
    res = cKDTree(a).sparse_distance_matrix(cKDTree(b), reach, output_type="ndarray")
    return res["i"].astype(np.int64), res["j"].astype(np.int64)


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
    return _rank(frame, stable_argsort(_descending(score), major=frame))


def score_orders(frame: np.ndarray, score: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(rank, pooled)``: each prediction's rank in its frame by descending score
    (stable), and the pooled order of all predictions -- score descending, ties by
    frame then rank, which is pycocotools' order (per-image lists sorted by score,
    concatenated in image order, then stably sorted by score).

    >>> r, o = score_orders(np.array([1, 0, 0]), np.array([.5, .5, .9]))
    >>> r.tolist(), o.tolist()
    ([0, 1, 0], [2, 1, 0])
    """
    neg = _descending(score)
    order = stable_argsort(neg, major=frame)  # (frame, -score, index)
    if len(frame) and bool(np.all(frame[1:] >= frame[:-1])):
        pooled = stable_argsort(neg)  # input order is already (frame, index)
    else:
        pooled = order[stable_argsort(neg[order])]
    return _rank(frame, order), pooled


def _descending(score: np.ndarray) -> np.ndarray:
    """Negated scores for ascending sorts (+ 0.0: -0.0 and 0.0 tie, as in NumPy)."""
    return -np.asarray(score, np.float64) + 0.0


def _rank(frame: np.ndarray, order: np.ndarray) -> np.ndarray:
    """Each point's position within its frame along ``order`` (sorted by frame)."""
    f = frame[order]
    starts = np.r_[0, np.flatnonzero(f[1:] != f[:-1]) + 1] if len(f) else np.empty(0, int)
    first = np.repeat(starts, np.diff(np.r_[starts, len(f)]))
    rank = np.empty(len(frame), np.int64)
    rank[order] = np.arange(len(frame)) - first
    return rank


def pooled_order(frame: np.ndarray, score: np.ndarray) -> np.ndarray:
    """The pooled order of :func:`score_orders` alone (one stable score sort when the
    predictions are in frame order, as they usually are).

    >>> pooled_order(np.array([0, 0, 1]), np.array([.5, .9, .9])).tolist()
    [1, 2, 0]
    """
    if len(frame) and bool(np.all(frame[1:] >= frame[:-1])):
        return stable_argsort(_descending(score))
    return score_orders(frame, score)[1]


def greedy_match(
    pair_dt: np.ndarray,
    pair_gt: np.ndarray,
    pair_sim: np.ndarray,
    dt_rank: np.ndarray,
    n_gt: int,
    thresholds: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """COCO-style greedy matching at several similarity thresholds at once.

    Only predictions joined (through shared candidates) to one another can compete, so
    the candidate graph is cut into connected components: a component with one
    prediction takes its best pair; one with a single ground truth gives it to the
    first prediction (by rank) similar enough; the rest run the greedy rule in rounds,
    round k settling the k-th prediction (by rank) of every such component at once,
    with array operations over all thresholds.

    Args:
        pair_dt, pair_gt: ``(P,)`` candidate pairs (same frame).
        pair_sim: ``(P,)`` similarity; higher is better.
        dt_rank: ``(D,)`` rank of each prediction within its frame.
        n_gt: Number of ground-truth points.
        thresholds: ``(T,)`` minimum similarity for a match (``sim >= t``).

    Returns:
        ``dt_gt`` ``(T, D)`` int32 (int64 beyond 2³¹ points): matched ground-truth
        index or -1, and
        ``gt_matched`` ``(T, G)`` bool.
    """
    thresholds = np.asarray(thresholds, np.float64)
    n_t, n_dt = len(thresholds), len(dt_rank)
    dt_gt = np.full((n_t, n_dt), -1, np.int32 if max(n_gt, n_dt) < 2**31 else np.int64)
    gt_matched = np.zeros((n_t, n_gt), bool)
    keep = pair_sim >= thresholds.min() if len(pair_sim) else np.zeros(0, bool)
    if not keep.any():
        return dt_gt, gt_matched
    pair_dt, pair_gt, pair_sim = pair_dt[keep], pair_gt[keep], pair_sim[keep]
    graph = sparse.csr_matrix((np.ones(len(pair_dt), np.int8), (pair_dt, n_dt + pair_gt)),
                              shape=(n_dt + n_gt, n_dt + n_gt))
    n_comp, label = connected_components(graph, directed=False)
    comp = label[pair_dt]
    n_preds = np.bincount(label[:n_dt][_present(pair_dt, n_dt)], minlength=n_comp)
    n_gts = np.bincount(label[n_dt:][_present(pair_gt, n_gt)], minlength=n_comp)
    one_dt = n_preds[comp] == 1
    one_gt = (n_gts[comp] == 1) & ~one_dt
    rest = ~(one_dt | one_gt)
    sel = (pair_dt[one_dt], pair_gt[one_dt], pair_sim[one_dt])
    _best_pair(*sel, thresholds, dt_gt, gt_matched)
    sel = (pair_dt[one_gt], pair_gt[one_gt], pair_sim[one_gt])
    _first_prediction(*sel, dt_rank, thresholds, dt_gt, gt_matched)
    if rest.any():
        pd_, pg, ps = pair_dt[rest], pair_gt[rest], pair_sim[rest]
        _rounds(pd_, pg, ps, _levels(pd_, pg, dt_rank, n_dt), thresholds, dt_gt,
                gt_matched)
    return dt_gt, gt_matched


def _present(idx: np.ndarray, n: int) -> np.ndarray:
    """``(n,)`` bool: which of 0..n-1 occur in ``idx`` (a linear-time ``unique``)."""
    seen = np.zeros(n, bool)
    seen[idx] = True
    return seen


def _assign(dt: np.ndarray, gt: np.ndarray, sim: np.ndarray, thresholds: np.ndarray,
            dt_gt: np.ndarray, gt_matched: np.ndarray) -> None:
    """Record the matches ``dt[i] - gt[i]`` at every threshold ``sim[i]`` clears."""
    # Pairs ordered by how many thresholds they clear (a radix sort of small ints):
    # those clearing the j-th lowest threshold are then a prefix, and each row is two
    # scatters of slices.
    by_thr = np.argsort(thresholds, kind="stable")
    cleared = np.searchsorted(thresholds[by_thr], sim, side="right")
    order = np.argsort((len(thresholds) - cleared).astype(np.uint16), kind="stable")
    dt, gt = dt[order], gt[order].astype(dt_gt.dtype, copy=False)
    ends = np.cumsum(np.bincount(cleared, minlength=len(thresholds) + 1)[::-1])[::-1][1:]
    for j, t in enumerate(by_thr):
        dt_gt[t, dt[:ends[j]]] = gt[:ends[j]]
        gt_matched[t, gt[:ends[j]]] = True


def _best_pair(pd_, pg, ps, thresholds, dt_gt, gt_matched) -> None:
    """Components with one prediction: its most similar ground truth (ties: the later
    one), wherever that clears the threshold."""
    if not len(pd_):
        return
    counts = np.bincount(pd_)
    single = counts[pd_] == 1  # the common case: a prediction with one candidate
    best = np.flatnonzero(single)
    multi = np.flatnonzero(~single)
    if len(multi):
        order = multi[np.lexsort((pg[multi], ps[multi], pd_[multi]))]
        last = np.r_[pd_[order][1:] != pd_[order][:-1], True]
        best = np.concatenate([best, order[last]])
    _assign(pd_[best], pg[best], ps[best], thresholds, dt_gt, gt_matched)


def _first_prediction(pd_, pg, ps, dt_rank, thresholds, dt_gt, gt_matched) -> None:
    """Components with one ground truth: the first prediction by rank that clears the
    threshold takes it."""
    if not len(pd_):
        return
    order = np.lexsort((dt_rank[pd_], pg))
    pd_, pg, ps = pd_[order], pg[order], ps[order]
    starts = np.flatnonzero(np.r_[True, pg[1:] != pg[:-1]])
    big = len(pd_)
    cand = np.where(ps[None, :] >= thresholds[:, None], np.arange(len(pd_))[None, :], big)
    first = np.minimum.reduceat(cand, starts, axis=1)  # (T, groups)
    ti, gi = np.nonzero(first < big)
    at = first[ti, gi]
    dt_gt[ti, pd_[at]] = pg[at]
    gt_matched[ti, pg[at]] = True  # few: one ground truth per component


def _levels(pd_: np.ndarray, pg: np.ndarray, dt_rank: np.ndarray, n_dt: int) -> np.ndarray:
    """Per pair: the round of its prediction, such that predictions of one round share
    no ground truth and every earlier-ranked prediction sharing one is in an earlier
    round -- so each round can be settled at once and the greedy rule's outcome is
    unchanged.

    A prediction's round is the length of the longest chain of earlier-ranked
    predictions before it, each sharing a ground truth with the next. Rounds rise along
    each ground truth's candidates in rank order, so only consecutive candidates of a
    ground truth need an edge; the rounds are then the layers of Kahn's topological
    sort. On a dense image this is some hundreds of rounds where ranking a component's
    predictions one by one took one round per prediction (13,000 on NWPU's densest).
    """
    order = np.lexsort((dt_rank[pd_], pg))
    src, dst, gg = pd_[order][:-1], pd_[order][1:], pg[order]
    same = gg[1:] == gg[:-1]
    src, dst = src[same], dst[same]
    by_src = np.argsort(src, kind="stable")
    src, dst = src[by_src], dst[by_src]
    start = np.searchsorted(src, np.arange(n_dt + 1))
    waiting = np.bincount(dst, minlength=n_dt)
    level = np.full(n_dt, -1, np.int64)
    frontier = np.unique(pd_[waiting[pd_] == 0])
    k = 0
    while len(frontier):
        level[frontier] = k
        lo, hi = start[frontier], start[frontier + 1]
        n_out = hi - lo
        if not n_out.sum():
            break
        hit = dst[ranges(lo, n_out)]  # the out-edges of the frontier
        np.subtract.at(waiting, hit, 1)
        frontier = np.unique(hit[waiting[hit] == 0])
        k += 1
    return level[pd_]


def _rounds(pair_dt, pair_gt, pair_sim, r, thresholds, dt_gt, gt_matched) -> None:
    """The greedy rule in rounds: predictions of equal rank ``r`` never compete."""
    # Within a prediction: ascending similarity, then ground-truth index, so the
    # last valid pair is the best one with ties going to the later ground truth.
    order = np.lexsort((pair_gt, pair_sim, pair_dt, r))
    pair_dt, pair_gt, pair_sim, r = pair_dt[order], pair_gt[order], pair_sim[order], r[order]
    bounds = np.flatnonzero(np.diff(r)) + 1
    t_col = thresholds[:, None]
    for s, e in zip(np.r_[0, bounds], np.r_[bounds, len(r)]):
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
