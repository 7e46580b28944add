"""Maximum one-to-one matching sizes over growing distance thresholds (Idrees et al.'s
curve: 100 thresholds), without one full maximum matching per threshold.

Raising the threshold only adds pairs, so the maximum matching of the previous
threshold is still a matching, and it is maximum again unless an **augmenting path**
exists: an alternating path from an unmatched prediction to an unmatched ground truth
(Berge). So each threshold continues from the last matching, Hopcroft-Karp style, with
array operations over all frames at once:

* a breadth-first search from every unmatched prediction that has a pair, along its
  admitted pairs to ground truths and back along matched edges to their predictions,
  stopping at the first layer that reaches unmatched ground truths;
* the search forms a forest (each node is reached once), so the paths to the found
  ground truths of different roots share no node: one path per root is flipped, all
  at once; then the next search, until one finds no unmatched ground truth.

A search only spreads where the matching is "tight" (ground truths all taken), so on
dense images it stops after a layer or two; the work per threshold follows the new
matches, not the size of the images. Each prediction's admitted pairs are a prefix of
its row (rows hold its pairs in threshold order), so nothing is re-sorted per
threshold. The sizes are exactly those of one maximum matching per threshold
(tests/eval/test_threshold_matching.py compares them on random graphs, and on a dense
curve).
"""

from __future__ import annotations

import numpy as np

from .candidates import ranges
from .sorting import counting_order

__all__ = ["matching_sizes"]


def matching_sizes(pair_dt: np.ndarray, pair_gt: np.ndarray, dist: np.ndarray, n_dt: int,
                   n_gt: int, thresholds: np.ndarray) -> np.ndarray:
    """``(R,)`` int64: the maximum matching size among the pairs with ``dist <= r`` for
    each threshold ``r`` (in any order); the pairs are unique ``(prediction, ground
    truth)`` index pairs."""
    thresholds = np.asarray(thresholds, np.float64)
    order = np.argsort(thresholds, kind="stable")
    state = _Matching(pair_dt, pair_gt, dist, n_dt, n_gt, thresholds[order])
    sizes = np.empty(len(thresholds), np.int64)
    for step, i in enumerate(order):
        sizes[i] = state.grow(step)
    return sizes


class _Matching:
    """A maximum matching, grown one threshold at a time."""

    def __init__(self, pair_dt, pair_gt, dist, n_dt, n_gt, steps) -> None:
        n = len(steps)
        step = _admitting_step(steps, dist)  # n: never admitted
        # A stable sort of small integers (radix), not of the distances; the pairs
        # never admitted sort last.
        by_step = np.argsort(step, kind="stable")
        per_step = np.bincount(step, minlength=n + 1)
        self.ends = np.cumsum(per_step[:n])
        by_step = by_step[:int(self.ends[-1]) if n else 0]
        self.pair_dt = np.asarray(pair_dt)[by_step]
        # Rows by prediction, each in admission order (a stable counting sort).
        rows = by_step[counting_order(self.pair_dt, n_dt)]
        self.indptr = np.r_[0, np.cumsum(np.bincount(self.pair_dt, minlength=n_dt))]
        self.gt_of = np.asarray(pair_gt)[rows]  # ground truth of each row entry
        self.admitted = np.zeros(n_dt, np.int64)  # row prefix admitted so far
        self.match_dt = np.full(n_dt, -1, np.int64)
        self.match_gt = np.full(max(n_gt, 1), -1, np.int64)
        self.seen = np.zeros(max(n_gt, 1), np.int64)  # search stamp of each ground truth
        self.parent = np.zeros(max(n_gt, 1), np.int64)  # prediction that reached it
        self.free = np.empty(0, np.int64)  # unmatched predictions that have a pair
        self.stamp = 0
        self.size = 0
        self.done = 0

    def grow(self, step: int) -> int:
        """The maximum matching size after admitting the pairs of ``step`` (called with
        0, 1, 2, ... in turn)."""
        end = int(self.ends[step])
        if end > self.done:
            before = self.admitted == 0
            self.admitted += np.bincount(self.pair_dt[self.done:end],
                                         minlength=len(self.admitted))
            self.done = end
            self.free = np.r_[self.free, np.flatnonzero(before & (self.admitted > 0)
                                                        & (self.match_dt < 0))]
            while self._augment():
                pass
        return self.size

    def _neighbours(self, dts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(source prediction, ground truth)`` of every admitted pair of ``dts``."""
        count = self.admitted[dts]
        return np.repeat(dts, count), self.gt_of[ranges(self.indptr[dts], count)]

    def _augment(self) -> bool:
        """One search from the unmatched predictions and the flip of one shortest
        augmenting path per root; False when there is none (the matching is maximum)."""
        frontier = self.free
        self.stamp += 1
        leaves = None
        while len(frontier):
            src, gt = self._neighbours(frontier)
            new = self.seen[gt] != self.stamp
            src, gt = src[new], gt[new]
            # Each ground truth reached once, from the last of its pairs in the layer
            # (the parent written last): the (source, ground truth) pairs are unique,
            # as a layer's sources are.
            self.parent[gt] = src
            once = self.parent[gt] == src
            src, gt = src[once], gt[once]
            self.seen[gt] = self.stamp
            free = self.match_gt[gt] < 0
            if free.any():
                leaves = gt[free]
                break
            frontier = self.match_gt[gt]  # matched: continue from their predictions
        if leaves is None:
            return False
        self._flip(leaves)
        return True

    def _flip(self, leaves: np.ndarray) -> None:
        """Flip one path per root: the paths from ``leaves`` back to the roots (all of
        one length) through the search forest."""
        path_dt, path_gt = [], []
        gt = leaves
        while True:
            dt = self.parent[gt]
            path_dt.append(dt)
            path_gt.append(gt)
            gt = self.match_dt[dt]  # the ground truth it held; -1 at the root
            if (gt < 0).all():
                break
        root = path_dt[-1]
        _, keep = np.unique(root, return_index=True)  # one path per root
        dts = np.concatenate([p[keep] for p in path_dt])
        gts = np.concatenate([p[keep] for p in path_gt])
        self.match_dt[dts] = gts
        self.match_gt[gts] = dts
        self.size += len(keep)
        self.free = self.free[self.match_dt[self.free] < 0]


def _admitting_step(steps: np.ndarray, dist: np.ndarray) -> np.ndarray:
    """The index of the first threshold ``>= dist`` of each pair (``len(steps)`` where
    none is, or for NaN). For Idrees et al.'s thresholds 1, 2, ..., R px that is
    ``ceil(dist) - 1`` (clipped at 0), without a binary search per pair."""
    n = len(steps)
    small = np.uint8 if n < 255 else np.int64  # radix-sortable where it fits
    if n and np.array_equal(steps, np.arange(1.0, n + 1.0)):
        with np.errstate(invalid="ignore"):
            c = np.ceil(dist)
        c[~(c <= n)] = n + 1  # beyond the last threshold, or NaN
        np.maximum(c, 1, out=c)
        c -= 1
        return c.astype(small)
    return np.searchsorted(steps, dist, side="left").astype(small)
