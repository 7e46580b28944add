"""Precision/recall accumulation and COCO 101-point interpolated AP.

Written to reproduce pycocotools' ``COCOeval.accumulate`` operation for operation
(same cumulative sums, the same ``np.spacing(1)`` guard, the same right-to-left
precision envelope and ``searchsorted`` sampling), so values agree to the last bit.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import numpy as np

from . import tuning

__all__ = ["COCO_THRESHOLDS", "RECALL_THRESHOLDS", "interpolated_precision"]

#: OKS thresholds 0.50:0.05:0.95, computed exactly as pycocotools does.
COCO_THRESHOLDS = np.linspace(0.5, 0.95, int(np.round((0.95 - 0.5) / 0.05)) + 1,
                              endpoint=True)
#: Recall sampling points 0:0.01:1 (101 points), as in pycocotools.
RECALL_THRESHOLDS = np.linspace(0.0, 1.00, int(np.round((1.00 - 0.0) / 0.01)) + 1,
                                endpoint=True)
# Shared defaults must not be changed by accident (writing into one would silently
# change every later mAP).
COCO_THRESHOLDS.flags.writeable = False
RECALL_THRESHOLDS.flags.writeable = False


def interpolated_precision(
    matched: np.ndarray, n_gt: float, weights: np.ndarray | None = None,
    order: np.ndarray | None = None, threads: int = tuning.DEFAULT_THREADS,
) -> tuple[np.ndarray, np.ndarray]:
    """101-point interpolated precision and final recall per threshold.

    Args:
        matched: ``(T, D)`` bool, predictions in pooled score order (see
            :func:`~vscrowd.eval.matching.score_orders`); True where the prediction is
            a true positive.
        n_gt: Number of ground-truth points (> 0), or weighted count.
        weights: Optional ``(D,)`` weight per prediction (bootstrap resampling).
        order: Optional ``(D,)`` pooled order when ``matched`` is in input order (the
            curve then reads it chunk by chunk, without a reordered copy).
        threads: Threads for long curves (rows are independent); same values.

    Returns:
        ``precision`` ``(T, 101)`` and ``recall`` ``(T,)`` float64.

    Example:
        >>> p, r = interpolated_precision(np.array([[True, False, True]]), 2)
        >>> round(float(p.mean()), 6), float(r[0])
        (0.834983, 1.0)
    """
    matched = np.atleast_2d(matched)
    if order is not None and weights is None and len(order) > tuning.CURVE_CHUNK:
        return _chunked_curves(matched, n_gt, order, threads)
    if order is not None:
        matched = np.take(matched, order, axis=1)
    n_t, nd = matched.shape
    precision = np.zeros((n_t, len(RECALL_THRESHOLDS)))
    recall = np.zeros(n_t)
    if nd == 0:
        return precision, recall
    # Without weights, TP + FP after k predictions is exactly k, so one cumulative sum
    # gives both; every float operation whose result is kept is one pycocotools
    # performs, so results agree bit for bit.
    denom = np.arange(1, nd + 1, dtype=np.float64) + np.spacing(1)
    counts = _recall_counts(n_gt) if weights is None else None
    for t in range(n_t):  # one row at a time: a few MB live instead of (T, D) arrays
        if weights is None:
            tp = np.cumsum(matched[t], dtype=np.int64)
            recall[t] = tp[-1] / n_gt
            inds = np.searchsorted(tp, counts, side="left")
            pr = tp / denom
        else:  # bootstrap weights: the sums as before, in the same order
            tp = np.cumsum(matched[t] * weights)
            total = np.cumsum(~matched[t] * weights) + tp
            rc = tp / n_gt
            recall[t] = rc[-1]
            inds = np.searchsorted(rc, RECALL_THRESHOLDS, side="left")
            pr = tp / (total + np.spacing(1))
        precision[t] = _envelope_at(pr, inds)
    return precision, recall


def _recall_counts(n_gt: float) -> np.ndarray:
    """Per recall threshold R, the least integer k with ``k / n_gt >= R`` in float64
    (so ``searchsorted(tp, k)`` finds pycocotools' ``searchsorted(tp / n_gt, R)``
    without dividing the whole cumulative sum)."""
    k = np.ceil(RECALL_THRESHOLDS * n_gt).astype(np.int64) - 2
    for _ in range(5):  # the estimate is within ±2 of the answer
        k = np.where(k / n_gt < RECALL_THRESHOLDS, k + 1, k)
    return k


def _envelope_at(pr: np.ndarray, inds: np.ndarray) -> np.ndarray:
    """The interpolated precision ``max(pr[i:])`` at each index of the non-decreasing
    ``inds`` (0 past the end): maxima of the segments between the indices, then a
    running maximum from the right over those few values."""
    out = np.zeros(len(inds))
    ok = inds < len(pr)
    if not ok.any():
        return out
    starts, back = np.unique(inds[ok], return_inverse=True)
    seg = np.maximum.reduceat(pr, starts)
    out[ok] = np.maximum.accumulate(seg[::-1])[::-1][back]
    return out


def _chunked_curves(matched: np.ndarray, n_gt: float, order: np.ndarray, threads: int
                    ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`interpolated_precision` without weights for long curves: the rows are
    independent, so they run on ``threads`` threads (NumPy's gathers and sums release
    the GIL); each is one pass over the pooled order in chunks. Same values."""
    counts = _recall_counts(n_gt)
    precision = np.zeros((len(matched), len(counts)))
    recall = np.zeros(len(matched))
    if matched.shape[1] == 0:
        return precision, recall

    def row(t: int) -> None:
        precision[t], recall[t] = _chunked_row(matched[t], order, counts, n_gt)

    run_all(row, range(len(matched)), threads, "vscrowd-curve")
    return precision, recall


def run_all(fn, items, threads: int, name: str) -> None:
    """``fn(item)`` for each item, on ``threads`` threads (1: here, no pool); the first
    exception is raised."""
    items = list(items)
    if threads <= 1 or len(items) <= 1:
        for item in items:
            fn(item)
        return
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix=name) as pool:
        for f in [pool.submit(fn, item) for item in items]:
            f.result()


def _chunked_row(row: np.ndarray, order: np.ndarray, counts: np.ndarray, n_gt: float
                 ) -> tuple[np.ndarray, float]:
    """One threshold's curve in chunks of the pooled order, computed at the true
    positives only: precision falls between them, so every maximum of the envelope
    from a recall threshold's index on (itself a true positive, or the first index
    when the count is 0) is one of theirs. Per chunk: the precision at its true
    positives (the very divisions pycocotools makes there), the thresholds whose count
    is reached in it, and their maxima to the chunk end; a running maximum over later
    chunks completes the envelope."""
    size = tuning.CURVE_CHUNK
    n_chunks = -(-len(order) // size)
    within = np.zeros(len(counts))  # max of pr from a threshold's index to its chunk's end
    chunk_of = np.full(len(counts), n_chunks, np.int64)
    chunk_max = np.zeros(n_chunks)
    carry, lower = 0, -1
    for c in range(n_chunks):
        a = c * size
        pos = np.flatnonzero(row[order[a:a + size]])
        if not len(pos):
            continue
        pr = (np.arange(carry + 1, carry + len(pos) + 1, dtype=np.int64)
              / ((pos + (a + 1)).astype(np.float64) + np.spacing(1)))
        here = np.flatnonzero((counts > lower) & (counts <= carry + len(pos)))
        if len(here):
            chunk_of[here] = c
            within[here] = _envelope_at(pr, np.maximum(counts[here] - carry - 1, 0))
        chunk_max[c] = pr.max()
        carry += len(pos)
        lower = carry
    later = np.r_[np.maximum.accumulate(chunk_max[::-1])[::-1][1:], 0.0, 0.0]
    ok = chunk_of < n_chunks
    precision = np.zeros(len(counts))
    precision[ok] = np.maximum(within[ok], later[chunk_of[ok]])
    return precision, carry / n_gt
