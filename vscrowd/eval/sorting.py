"""Stable sorts for the evaluator: of scores (its one global step) and of integer keys.

NumPy's stable sort of float64 is a merge sort, several times slower than its
vectorised quicksort; its radix sort only takes keys of 16 bits or less. A stable
order is a sort by ``(value, index)``, so :func:`stable_argsort` packs the value's
order-preserving bit pattern (its top bits), the index and an optional major key into
one uint64 and sorts the keys themselves (the fastest sort NumPy has; no argsort).
Dropping low value bits can only tie distinct values, which the sort then leaves in
index order: the groups of equal truncated value where that breaks value order are
found in one pass and re-sorted (few, unless the values carry more bits than the key
kept). Scores of float32 origin skip even that pass while the index and major key
take at most 29 bits: those are the float64 mantissa bits a float32 leaves at zero.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse

__all__ = ["counting_order", "sort_ints", "stable_argsort"]


def stable_argsort(value: np.ndarray, major: np.ndarray | None = None) -> np.ndarray:
    """``(N,)`` int64 permutation sorting by ``(major, value, index)`` ascending.

    Args:
        value: ``(N,)`` finite float64 without -0.0 (add ``0.0`` to normalise it).
        major: Optional ``(N,)`` non-negative int key sorted before the value.

    >>> stable_argsort(np.array([0.5, 0.1, 0.5, 0.1])).tolist()
    [1, 3, 0, 2]
    >>> stable_argsort(np.array([0.5, 0.1, 0.5, 0.1]), major=np.array([1, 1, 0, 0])).tolist()
    [3, 2, 1, 0]
    """
    value = np.ascontiguousarray(value, np.float64)
    n = len(value)
    if major is not None and n:
        major = major - major.min()  # frame numbers of a block: fewer bits, more for value
        if not major.any():
            major = None  # one group: the value alone decides
    k = max(1, (n - 1).bit_length())  # index bits
    m = 0 if major is None else int(major.max(initial=0)).bit_length()
    v = 64 - k - m  # value bits kept; below a float's sign + exponent they order little
    if n < 2 or v < 16:
        return _exact(value, major)
    # In place where possible: at millions of scores each temporary is a fresh mapping
    # that the kernel must fault in.
    # Judged on the raw bits: the order-preserving image flips every bit of a negative
    # value, so its zero low bits (negated float32 scores) would read as ones there.
    lossless = not int(np.bitwise_or.reduce(value.view(np.uint64))) & ((1 << (64 - v)) - 1)
    key = _ordered_bits(value)
    key >>= np.uint64(64 - v)
    key <<= np.uint64(k)
    if major is not None:
        top = major.astype(np.uint64)
        top <<= np.uint64(64 - m)
        key |= top
        del top
    index = np.arange(n, dtype=np.uint64)
    index |= key
    del key
    index.sort()
    major_sorted = index >> np.uint64(64 - m) if major is not None else None
    index &= np.uint64((1 << k) - 1)
    order = index.view(np.int64)
    if lossless:
        return order
    return _fix_ties(order, value[order], major_sorted, 64 - v)


def _fix_ties(order: np.ndarray, v: np.ndarray, top: np.ndarray | None, dropped: int
              ) -> np.ndarray:
    """``order`` with its groups of equal truncated value (and major) that hold
    distinct values in the wrong order re-sorted by ``(value, index)``: the packed sort
    left each group in index order. ``v`` is ``value[order]``; there are few such groups
    unless the values carry more bits than the key kept."""
    # A descent can only be inside a group: truncation keeps the order between groups.
    bad = np.flatnonzero(v[1:] < v[:-1])
    if top is not None:
        bad = bad[top[bad] == top[bad + 1]]
    if not len(bad):
        return order
    same = _ordered_bits(v) >> np.uint64(dropped)
    same = same[1:] == same[:-1]
    if top is not None:
        same &= top[1:] == top[:-1]
    group = np.zeros(len(v), np.int64)
    np.cumsum(~same, out=group[1:])
    flagged = np.zeros(int(group[-1]) + 1, bool)
    flagged[group[bad]] = True
    sub = np.flatnonzero(flagged[group])
    # lexsort is stable and each group is in index order: ties keep it.
    order[sub] = order[sub][np.lexsort((v[sub], group[sub]))]
    return order


def sort_ints(key: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(order, key[order])`` for non-negative int64 keys, ``order`` stable: one sort
    of ``key << k | index`` when the keys leave room for the index, else NumPy's
    stable argsort.

    >>> [a.tolist() for a in sort_ints(np.array([3, 1, 3, 0]))]
    [[3, 1, 0, 2], [0, 1, 3, 3]]
    """
    n = len(key)
    k = max(1, (n - 1).bit_length())
    if n and int(key.max()) >= 1 << (63 - k):
        order = np.argsort(key, kind="stable")
        return order, key[order]
    packed = np.arange(n, dtype=np.int64)
    packed |= key << k
    packed.sort()
    order = packed & ((1 << k) - 1)
    packed >>= k
    return order, packed


def counting_order(key: np.ndarray, n: int) -> np.ndarray:
    """The stable order of small non-negative int keys (all ``< n``): a counting sort,
    linear in ``len(key) + n``. SciPy's COO -> CSR conversion is one (rows in input
    order); with the column of each entry its position, the CSR columns are the order.

    >>> counting_order(np.array([2, 0, 2, 1, 0]), 3).tolist()
    [1, 4, 3, 0, 2]
    """
    m = len(key)
    coo = sparse.coo_matrix((np.ones(m, np.int8), (key, np.arange(m))), shape=(n, max(m, 1)))
    coo.has_canonical_format = True  # unique entries: no sum_duplicates (and its sort)
    return coo.tocsr().indices.astype(np.int64)


def _ordered_bits(value: np.ndarray) -> np.ndarray:
    """uint64 image of float64 that sorts like the floats: the sign bit flipped on
    non-negatives, every bit flipped on negatives."""
    key = (value.view(np.int64) >> 63).view(np.uint64)
    key |= np.uint64(1 << 63)
    key ^= value.view(np.uint64)
    return key


def _exact(value: np.ndarray, major: np.ndarray | None) -> np.ndarray:
    """The exact path: NumPy's quicksort, equal values put back in index order by one
    integer sort, then (with ``major``) a stable sort of the major key."""
    n = len(value)
    order = np.argsort(value, kind="quicksort")
    v = value[order]
    group = np.zeros(n, np.int64)
    np.cumsum(v[1:] != v[:-1], out=group[1:])
    key = group * n + order  # unique; < n² fits int64 for any array that fits memory
    key.sort()
    order = key % n
    if major is None:
        return order
    return order[sort_ints(major[order])[0]]
