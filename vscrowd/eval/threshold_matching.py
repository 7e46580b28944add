"""Maximum one-to-one matching sizes over growing distance thresholds (Idrees et al.'s
curve: 100 thresholds), without one full maximum matching per threshold.

Raising the threshold only adds pairs, so a matching of the previous threshold is still
a matching, and the maximum matching size of a graph is the sum over its connected
components. The **groups** are the components of the graph at the largest threshold,
each with its maximum matching size there, which bounds its size at every threshold:

* a group that gained no pair keeps its previous matching (it is then a union of
  components of the previous threshold's graph unchanged, whose matching was maximum);
* a group whose matching reaches its bound is finished: its pairs are never looked at
  again (dense images finish after a few pixels; far false positives form groups
  bounded by 0).

The other groups are matched again, all in one SciPy call on their nodes and pairs
alone. (Splitting them further into the current threshold's components was measured
slower on the NWPU-shaped workload: the components cost more than the matching saved.)
The sizes are exactly those of one maximum matching per threshold
(tests/eval/test_threshold_matching.py compares them on random graphs, and on a dense
curve).
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.sparse.csgraph import connected_components

from .matching import max_bipartite_match

__all__ = ["matching_sizes"]


def matching_sizes(pair_dt: np.ndarray, pair_gt: np.ndarray, dist: np.ndarray, n_dt: int,
                   n_gt: int, thresholds: np.ndarray) -> np.ndarray:
    """``(R,)`` int64: the maximum matching size among the pairs with ``dist <= r`` for
    each threshold ``r`` (in any order)."""
    thresholds = np.asarray(thresholds, np.float64)
    order = np.argsort(thresholds, kind="stable")
    state = _State(pair_dt, pair_gt, dist, n_dt, n_gt, thresholds[order])
    sizes = np.empty(len(thresholds), np.int64)
    for step, i in enumerate(order):
        sizes[i] = state.grow(step)
    return sizes


def _components(dt: np.ndarray, gt: np.ndarray, n_dt: int, n_gt: int) -> np.ndarray:
    """``(n_dt + n_gt,)`` component label of each prediction, then each ground truth."""
    n = n_dt + n_gt
    graph = sparse.csr_matrix((np.ones(len(dt), np.int8), (dt, gt + n_dt)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


class _State:
    """The matching of the last threshold, raised one threshold at a time. The pairs are
    kept in the order of the first threshold that admits them."""

    def __init__(self, pair_dt, pair_gt, dist, n_dt, n_gt, steps) -> None:
        # The step that admits each pair; pairs beyond the last (or NaN) never are.
        step = np.searchsorted(steps, dist, side="left")
        use = np.flatnonzero(step < len(steps))
        # A stable sort of small integers (radix), not of the distances.
        small = np.uint8 if len(steps) < 256 else np.int32
        by_step = use[np.argsort(step[use].astype(small), kind="stable")]
        self.step = step[by_step]
        self.dt, self.gt = pair_dt[by_step], pair_gt[by_step]
        self.n_dt, self.n_gt = n_dt, n_gt
        label = _components(self.dt, self.gt, n_dt, n_gt)
        self.dt_group, self.gt_group = label[:n_dt], label[n_dt:]
        final = max_bipartite_match(self.dt, self.gt, n_dt, n_gt) >= 0
        self.bound = np.bincount(self.dt_group[final], minlength=len(label))
        self.group = self.dt_group[self.dt]  # the group of each pair
        self.group_pairs = np.bincount(self.group, minlength=len(label))
        self.finished = self.bound == 0
        self.dead = int(self.group_pairs[self.finished].sum())  # pairs of finished groups
        self.match = np.full(n_dt, -1, np.int64)  # ground truth of each prediction
        self.done = 0  # pairs below this index are in the graph already

    def grow(self, step: int) -> int:
        """The maximum matching size after admitting the pairs of ``step`` (called with
        0, 1, 2, ... in turn)."""
        end = int(np.searchsorted(self.step, step, side="right"))
        if end > self.done:
            self._rematch(end)
            self.done = end
            self._finish_groups()
        return int((self.match >= 0).sum())

    def _rematch(self, end: int) -> None:
        """Match again the unfinished groups that gained a pair (among the first ``end``
        pairs)."""
        fresh = np.zeros(len(self.bound), bool)
        fresh[self.group[self.done:end]] = True
        fresh &= ~self.finished
        if not fresh.any():
            return
        # Only those groups' nodes and pairs, renumbered: every array below is that size.
        pairs = np.flatnonzero(fresh[self.group[:end]])
        dt_nodes = np.flatnonzero(fresh[self.dt_group])
        gt_nodes = np.flatnonzero(fresh[self.gt_group])
        dt = _index_of(dt_nodes, self.n_dt)[self.dt[pairs]]
        gt = _index_of(gt_nodes, self.n_gt)[self.gt[pairs]]
        sub = max_bipartite_match(dt, gt, len(dt_nodes), len(gt_nodes))
        self.match[dt_nodes] = np.where(sub >= 0, gt_nodes[np.maximum(sub, 0)], -1)

    def _finish_groups(self) -> None:
        """Mark every group whose matching reached its bound: no pair can raise it any
        more, so its pairs are never looked at again (and dropped from the arrays once
        they are half of them)."""
        matched = np.bincount(self.dt_group[self.match >= 0], minlength=len(self.bound))
        now = ~self.finished & (matched >= self.bound)
        if not now.any():
            return
        self.finished |= now
        self.dead += int(self.group_pairs[now].sum())
        if 2 * self.dead < len(self.step):
            return
        keep = ~self.finished[self.group]
        self.done = int(keep[:self.done].sum())
        self.step, self.dt, self.gt, self.group = (a[keep] for a in (self.step, self.dt,
                                                                     self.gt, self.group))
        self.dead = 0


def _index_of(nodes: np.ndarray, size: int) -> np.ndarray:
    """``(size,)`` int64: each of the sorted ``nodes``' position in it (-1 elsewhere); a
    gather through it renumbers pairs faster than a binary search per pair."""
    out = np.full(size, -1, np.int64)
    out[nodes] = np.arange(len(nodes))
    return out
