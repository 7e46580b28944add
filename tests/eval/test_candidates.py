"""The grid candidate search (vscrowd.eval.candidates) against brute force."""

from __future__ import annotations

from unittest import mock

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vscrowd.eval import tuning
from vscrowd.eval.candidates import candidate_pairs


@pytest.mark.parametrize("cell_table", [True, False])
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), r=st.floats(0.5, 10))
def test_candidate_pairs_equal_brute_force(cell_table, seed, r):
    """Both ways of finding a row's key range: the table of cell starts and (with the
    table's cell limit at 0) binary search."""
    rng = np.random.default_rng(seed)
    dt_f, gt_f = rng.integers(0, 3, 15) + 5, rng.integers(0, 3, 12) + 5
    dt, gt = rng.integers(0, 12, (15, 2)).astype(float), rng.integers(0, 12, (12, 2)).astype(float)
    with mock.patch.object(tuning, "DENSE_CELLS", tuning.DENSE_CELLS if cell_table else 0):
        pd_, pg = candidate_pairs(dt_f, dt, gt_f, gt, r)
    d = np.hypot(*(dt[:, None, :] - gt[None, :, :]).transpose(2, 0, 1))
    want = {(i, j) for i, j in zip(*np.nonzero((d <= r) & (dt_f[:, None] == gt_f[None, :])))}
    got = set(zip(pd_.tolist(), pg.tolist()))
    assert want <= got  # superset allowed (callers re-test); and never across frames
    assert all(dt_f[i] == gt_f[j] for i, j in got)
    assert len(got) == len(pd_)  # each pair once


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), r=st.floats(0.01, 3), far=st.booleans())
def test_candidate_pairs_with_extreme_coordinates(seed, r, far):
    """Coordinates up to ±1e9 px (the reader's limit): too many grid cells for 64-bit
    keys, so the KD-tree path runs; the pair sets are the brute-force ones either way."""
    rng = np.random.default_rng(seed)
    scale = 1e9 if far else 50.0
    centers = rng.uniform(-scale, scale, (4, 2))
    dt = centers[rng.integers(0, 4, 20)] + rng.normal(0, r, (20, 2))
    gt = centers[rng.integers(0, 4, 16)] + rng.normal(0, r, (16, 2))
    dt_f, gt_f = rng.integers(0, 3, 20), rng.integers(0, 3, 16)
    pd_, pg = candidate_pairs(dt_f, dt, gt_f, gt, r)
    d2 = ((dt[:, None, :] - gt[None, :, :]) ** 2).sum(-1)
    same = dt_f[:, None] == gt_f[None, :]
    want = {(i, j) for i, j in zip(*np.nonzero((d2 <= r * r * (1 - 1e-6)) & same))}
    got = set(zip(pd_.tolist(), pg.tolist()))
    assert want <= got and all(dt_f[i] == gt_f[j] for i, j in got)
    assert len(got) == len(pd_)  # each pair once


@pytest.mark.parametrize(("block", "split"), [(1, 1), (7, 2), (1 << 16, 2), (1 << 16, 3)])
@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), r=st.floats(0.5, 30), n_dt=st.integers(0, 60),
       n_gt=st.integers(0, 60))
def test_pairs_and_distances_equal_brute_force(block, split, seed, r, n_dt, n_gt):
    """The distance test in blocks of any size (down to one candidate), cells of any
    fraction of the radius, either side the smaller (the rows of the smaller side are
    looked up), with the distances ``np.hypot`` gives: exactly the brute-force pairs
    within ``r`` (up to the padding the search adds), each once."""
    rng = np.random.default_rng(seed)
    dt_f, gt_f = rng.integers(0, 3, n_dt), rng.integers(0, 3, n_gt)
    dt = rng.uniform(0, 80, (n_dt, 2)).round(1)
    gt = rng.uniform(0, 80, (n_gt, 2)).round(1)
    with mock.patch.object(tuning, "PAIR_BLOCK", block), \
            mock.patch.object(tuning, "CELL_SPLIT", split):
        pd_, pg, d = candidate_pairs(dt_f, dt, gt_f, gt, r, distance=True)
    assert pd_.dtype == pg.dtype == np.int64 and d.dtype == np.float64
    full = np.hypot(dt[:, None, 0] - gt[None, :, 0], dt[:, None, 1] - gt[None, :, 1])
    want = (full <= r + r * 1e-9 + 1e-9) & (dt_f[:, None] == gt_f[None, :])
    assert sorted(zip(pd_.tolist(), pg.tolist())) == sorted(zip(*map(np.ndarray.tolist,
                                                                    np.nonzero(want))))
    assert np.array_equal(d, full[pd_, pg])  # bit for bit
