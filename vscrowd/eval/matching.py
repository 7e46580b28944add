"""Point matching shared by every localization metric.

Candidate pairs come from the grid search of :mod:`vscrowd.eval.candidates`, so nothing
dense is ever built. Two matchers use them:

* :func:`greedy_match` -- COCO's rule, used by σ-thresholded AP/AR and distance AP:
  per frame, predictions in descending score order (stable) each take the still
  unmatched ground truth of highest similarity at or above the threshold; on exactly
  equal similarity the later ground truth wins (as in pycocotools).
* :func:`max_bipartite_match` -- one-to-one maximum matching (NWPU-style P/R/F1).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components, maximum_bipartite_matching

from .candidates import ranges
from .sorting import counting_order, sort_ints, stable_argsort

__all__ = ["greedy_match", "greedy_match_many", "max_bipartite_match", "pooled_order",
           "rank_in_frame", "score_orders"]


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
    each round settling predictions that share no ground truth, with array operations
    over all thresholds.

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
    return greedy_match_many(pair_dt, pair_gt, [pair_sim], dt_rank, n_gt, thresholds)[0]


def greedy_match_many(
    pair_dt: np.ndarray,
    pair_gt: np.ndarray,
    sims: Sequence[np.ndarray],
    dt_rank: np.ndarray,
    n_gt: int,
    thresholds: np.ndarray,
) -> list[tuple[np.ndarray, np.ndarray]]:
    """:func:`greedy_match` under several similarities of the same pairs (σ-AP's σ
    values), sharing the work that depends on the pairs alone: the components and the
    rounds come from the pairs any similarity admits, and stay valid for the subset
    each similarity admits (predictions apart in the union are apart in any subset;
    an earlier-ranked competitor in a subset is one in the union), so each similarity's
    matching is exactly what it is alone.

    Returns:
        One ``(dt_gt (T, D), gt_matched (T, G))`` per similarity, as greedy_match's.
    """
    thresholds = np.asarray(thresholds, np.float64)
    n_t, n_dt = len(thresholds), len(dt_rank)
    index = np.int32 if max(n_gt, n_dt) < 2**31 else np.int64
    views = [(np.full((n_t, n_dt), -1, index), np.zeros((n_t, n_gt), bool)) for _ in sims]
    keep = np.zeros(len(pair_dt), bool)
    for sim in sims:
        keep |= sim >= thresholds.min()
    if not keep.any():
        return views
    pair_dt, pair_gt = pair_dt[keep], pair_gt[keep]
    sims = [sim[keep] for sim in sims]
    one_dt, one_gt = _lone(pair_dt, pair_gt, n_dt, n_gt)
    rest = ~(one_dt | one_gt)
    level = _levels(pair_dt[rest], pair_gt[rest], dt_rank, n_dt) if rest.any() else None
    for sim, (d_view, g_view) in zip(sims, views):
        # Each similarity on its own pairs (a small σ admits a few percent of the
        # widest σ's): the components and rounds stay valid on any subset of pairs.
        ok = sim >= thresholds.min()
        sel = one_dt & ok
        _best_pair(pair_dt[sel], pair_gt[sel], sim[sel], thresholds, d_view, g_view)
        sel = one_gt & ok
        _first_prediction(pair_dt[sel], pair_gt[sel], sim[sel], dt_rank, thresholds, d_view,
                          g_view)
        sel = ok[rest]
        if level is not None and sel.any():
            _rounds(pair_dt[rest][sel], pair_gt[rest][sel], sim[rest][sel], level[sel],
                    thresholds, d_view, g_view)
    return views


def _lone(pair_dt: np.ndarray, pair_gt: np.ndarray, n_dt: int, n_gt: int
          ) -> tuple[np.ndarray, np.ndarray]:
    """Per pair: whether its connected component has a single prediction, and whether
    it has a single ground truth (and more than one prediction)."""
    coo = sparse.coo_matrix((np.ones(len(pair_dt), np.int8), (pair_dt, n_dt + pair_gt)),
                            shape=(n_dt + n_gt, n_dt + n_gt))
    coo.has_canonical_format = True  # unique pairs: no sum_duplicates (and its sort)
    n_comp, label = connected_components(coo.tocsr(), directed=False)
    comp = label[pair_dt]
    n_preds = np.bincount(label[:n_dt][_present(pair_dt, n_dt)], minlength=n_comp)
    n_gts = np.bincount(label[n_dt:][_present(pair_gt, n_gt)], minlength=n_comp)
    one_dt = n_preds[comp] == 1
    return one_dt, (n_gts[comp] == 1) & ~one_dt


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
    rank = dt_rank[pd_]
    # By (ground truth, rank) and by source: counting sorts (a radix sort of the rank
    # first where it fits 16 bits), several times faster than packed-key sorts.
    if int(rank.max()) < 1 << 16:
        by_rank = np.argsort(rank.astype(np.uint16), kind="stable")
        order = by_rank[counting_order(pg[by_rank], int(pg.max()) + 1)]
    else:
        order = sort_ints(pg * (int(rank.max()) + 1) + rank)[0]
    src, dst, gg = pd_[order][:-1], pd_[order][1:], pg[order]
    same = gg[1:] == gg[:-1]
    src, dst = src[same], dst[same]
    by_src = counting_order(src, n_dt)
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
    """The greedy rule in rounds: predictions of equal round ``r`` never compete."""
    # Pairs grouped by (round, prediction); within a prediction the best valid pair is
    # found by reductions (a lexsort that also ordered the similarities cost more than
    # all the rounds together). The grid search gives each prediction's pairs together:
    # then a stable sort by round alone keeps them so (a radix sort when rounds are few).
    if _grouped(pair_dt) and int(r.max()) < 1 << 16:
        order = np.argsort(r.astype(np.uint16), kind="stable")
    else:
        order = sort_ints(r * (int(pair_dt.max()) + 1) + pair_dt)[0]
    pair_dt, pair_gt, pair_sim, r = pair_dt[order], pair_gt[order], pair_sim[order], r[order]
    bounds = np.flatnonzero(np.diff(r)) + 1
    t_col = thresholds[:, None]
    for s, e in zip(np.r_[0, bounds], np.r_[bounds, len(r)]):
        pd_, pg, ps = pair_dt[s:e], pair_gt[s:e], pair_sim[s:e]
        valid = (ps[None, :] >= t_col) & ~gt_matched[:, pg]
        if not valid.any():
            continue
        ti, first, gt = _best_valid(pd_, pg, ps, valid)
        dt_gt[ti, pd_[first]] = gt
        gt_matched[ti, gt] = True


def _grouped(idx: np.ndarray) -> bool:
    """Whether equal values of ``idx`` all sit together (each prediction's pairs in
    one run)."""
    runs = 1 + int(np.count_nonzero(idx[1:] != idx[:-1]))
    return runs == int(np.count_nonzero(_present(idx, int(idx.max()) + 1)))


def _best_valid(pd_: np.ndarray, pg: np.ndarray, ps: np.ndarray, valid: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per threshold and prediction (``pd_`` grouped): the valid pair of highest
    similarity, ties to the later ground truth -- as ``(threshold index, position of
    the prediction's first pair, ground truth)`` where there is one."""
    starts = np.flatnonzero(np.r_[True, pd_[1:] != pd_[:-1]])
    sizes = np.diff(np.r_[starts, len(pd_)])
    best = np.maximum.reduceat(np.where(valid, ps[None, :], -np.inf), starts, axis=1)
    top = valid & (ps[None, :] == np.repeat(best, sizes, axis=1))
    gt = np.maximum.reduceat(np.where(top, pg[None, :], -1), starts, axis=1)
    ti, gi = np.nonzero(gt >= 0)
    return ti, starts[gi], gt[ti, gi]


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
