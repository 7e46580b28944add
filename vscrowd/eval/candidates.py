"""Candidate pairs: every (prediction, ground truth) pair of one frame within a radius,
from one grid search over all frames at once (cells keyed by frame, row and column), so
nothing dense is ever built; each matcher (:mod:`vscrowd.eval.matching`, the Idrees
curve) starts from these pairs."""

from __future__ import annotations

import numpy as np

from . import tuning
from .sorting import sort_ints

__all__ = ["candidate_pairs", "ranges"]


def candidate_pairs(
    dt_frame: np.ndarray,
    dt_xy: np.ndarray,
    gt_frame: np.ndarray,
    gt_xy: np.ndarray,
    radius: float,
    distance: bool = False,
) -> tuple[np.ndarray, ...]:
    """All (prediction, ground truth) pairs of the same frame within ``radius``.

    A uniform grid of cells no smaller than ``radius / k`` (``tuning.CELL_SPLIT``),
    keyed by (frame, row, column): a pair can only join a prediction to the ``2k + 1``
    cells around it in each of ``2k + 1`` rows, and those are one contiguous key range
    per row of the ground truth sorted by key, read from a table of cell starts (or
    found by binary search where the cells are too many for a table). Coordinates so
    far apart that the keys would not fit 64 bits use a KD-tree instead (same pairs).

    Args:
        dt_frame, gt_frame: ``(D,)``/``(G,)`` int frame index of each point.
        dt_xy, gt_xy: ``(D, 2)``/``(G, 2)`` float64 coordinates.
        radius: Euclidean distance bound (inclusive, up to float rounding: callers
            re-test the exact condition on the returned pairs).
        distance: Also return each pair's distance, ``np.hypot`` of the coordinate
            differences (what a caller computing it from the pairs would get).

    Returns:
        ``(dt_idx, gt_idx)`` int64 arrays, one entry per pair, in no particular order
        (every consumer orders or counts them itself); with ``distance``, then the
        ``(P,)`` float64 distances.
    """
    if len(dt_xy) == 0 or len(gt_xy) == 0:
        return (np.empty(0, np.int64), np.empty(0, np.int64)) + distance * (np.empty(0),)
    if len(gt_xy) < len(dt_xy) // 4:
        # Look up the rows of the smaller side in the larger (a few giant heads against
        # every prediction of their frames); the distances are symmetric.
        found = candidate_pairs(gt_frame, gt_xy, dt_frame, dt_xy, radius, distance)
        return (found[1], found[0]) + found[2:]
    reach = radius + radius * 1e-9 + 1e-9
    # Column by column: a reduction over axis 0 of an (N, 2) array is ~30x slower.
    lo = np.array([min(dt_xy[:, i].min(), gt_xy[:, i].min()) for i in (0, 1)])
    hi = np.array([max(dt_xy[:, i].max(), gt_xy[:, i].max()) for i in (0, 1)])
    f0 = int(min(dt_frame.min(), gt_frame.min()))
    frames = int(max(dt_frame.max(), gt_frame.max())) - f0 + 1
    for k in dict.fromkeys((tuning.CELL_SPLIT, 1)):
        # Cells a little wider than reach / k: two points within reach are never more
        # than k cells apart in either direction.
        cell = (reach * (1 + 1e-6) + 1e-6) / k
        nx, ny = (int(v) + 2 * k + 1 for v in (hi - lo) / cell)
        if _table_fits(float(nx) * ny * frames, len(gt_xy), (2 * k + 1) * len(dt_xy)):
            break  # else whole cells (k = 1): fewer rows to binary-search
    if float(nx) * ny * frames >= 2.0**62:
        pd_, pg = _kdtree_pairs(dt_frame, dt_xy, gt_frame, gt_xy, reach)
        return (pd_, pg) + distance * (np.hypot(dt_xy[pd_, 0] - gt_xy[pg, 0],
                                                dt_xy[pd_, 1] - gt_xy[pg, 1]),)
    g_order, g_sorted = sort_ints(_cell_keys(gt_frame - f0, gt_xy, lo, cell, nx, ny, k))
    d_order, d_sorted = sort_ints(_cell_keys(dt_frame - f0, dt_xy, lo, cell, nx, ny, k))
    rows = d_sorted[:, None] + nx * np.arange(-k, k + 1)[None, :]  # (D, 2k+1): its rows
    first, end = _cell_ranges(g_sorted, (rows - k).ravel(), (rows + k + 1).ravel(),
                              frames * ny * nx)
    # Coordinates in cell order: a row's candidates are then one contiguous run.
    g_sx, g_sy = gt_xy[g_order, 0], gt_xy[g_order, 1]
    d_sx, d_sy = dt_xy[d_order, 0], dt_xy[d_order, 1]
    return _pairs_in_blocks(first, end - first, (d_sx, d_sy), (g_sx, g_sy), reach,
                            d_order, g_order, distance)


def _pairs_in_blocks(first: np.ndarray, count: np.ndarray, d_s: tuple[np.ndarray, ...],
                     g_s: tuple[np.ndarray, ...], reach: float, d_order: np.ndarray,
                     g_order: np.ndarray, distance: bool) -> tuple[np.ndarray, ...]:
    """The pairs within ``reach`` among the candidates: ``first``/``count`` ``(wD,)``
    each sorted prediction's ``w`` row ranges in the sorted ground truth (``d_s``,
    ``g_s``: coordinates in those orders), tested a block of predictions at a time."""
    # A dense image at 100 px has ~14 M candidates: tested all at once, every temporary
    # is a fresh 100 MB mapping (page faults cost more than the arithmetic); in blocks
    # of PAIR_BLOCK candidates they stay in cache and the allocator reuses them.
    w = len(count) // max(len(d_order), 1)  # row ranges per prediction
    per_dt = count.reshape(-1, w).sum(axis=1)
    stops = np.searchsorted(np.cumsum(per_dt),
                            np.arange(tuning.PAIR_BLOCK, int(per_dt.sum()),
                                      tuning.PAIR_BLOCK), side="right")
    bounds = np.unique(np.r_[0, stops, len(per_dt)])
    out: tuple[list[np.ndarray], ...] = ([], [], [])
    r2 = reach**2
    for a, b in zip(bounds[:-1], bounds[1:]):
        pos = ranges(first[w * a:w * b], count[w * a:w * b])
        local = np.repeat(np.arange(a, b), per_dt[a:b])
        dx = d_s[0][local] - g_s[0][pos]
        dy = d_s[1][local] - g_s[1][pos]
        sq = dx * dx
        sq += dy * dy
        keep = sq <= r2
        out[0].append(d_order[local[keep]])
        out[1].append(g_order[pos[keep]])
        if distance:
            out[2].append(np.hypot(dx[keep], dy[keep]))
    parts = out[:2 + distance]
    if not out[0]:
        return tuple(np.empty(0, np.int64 if i < 2 else np.float64)
                     for i in range(len(parts)))
    return tuple(np.concatenate(p) for p in parts)


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
               ny: int, k: int) -> np.ndarray:
    """int64 key of each point's cell, ``(frame, row, column)`` in row-major order
    (rows and columns from ``k``, so every neighbour key is non-negative)."""
    c = ((xy - lo) / cell).astype(np.int64) + k
    return (frame.astype(np.int64) * ny + c[:, 1]) * nx + c[:, 0]


def _cell_ranges(g_sorted: np.ndarray, lo: np.ndarray, hi: np.ndarray, n_cells: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Positions in the sorted keys of the first key >= ``lo`` and the first >= ``hi``:
    read from a table of where each cell starts when the cells are few enough (a
    frame block's worth), else two binary searches."""
    if not _table_fits(n_cells, len(g_sorted), len(lo)):
        return np.searchsorted(g_sorted, lo), np.searchsorted(g_sorted, hi)
    # Cells present and their sizes from the sorted keys, summed in place: no int64
    # bincount of every cell beside the table.
    new = np.flatnonzero(np.r_[True, g_sorted[1:] != g_sorted[:-1]])
    start = np.zeros(n_cells + 1, np.int32)
    start[g_sorted[new] + 1] = np.diff(np.r_[new, len(g_sorted)])
    np.cumsum(start, out=start)
    return start[lo].astype(np.int64), start[hi].astype(np.int64)


def _table_fits(n_cells: float, n_keys: int, n_rows: int) -> bool:
    """Whether :func:`_cell_ranges` reads a table of cell starts (else binary search)."""
    return n_cells <= min(tuning.DENSE_CELLS, 8 * (n_keys + n_rows)) and n_keys < 2**31


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
