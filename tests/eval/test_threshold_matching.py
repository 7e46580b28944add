"""The incremental matching sizes over growing thresholds equal one maximum matching
per threshold (the implementation before it), on random multi-frame graphs."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from vscrowd.eval.candidates import candidate_pairs
from vscrowd.eval.families.idrees import idrees_curve
from vscrowd.eval.matching import max_bipartite_match
from vscrowd.eval.threshold_matching import matching_sizes


def _one_matching_per_threshold(pd_, pg, d, n_dt, n_gt, thresholds):
    return np.array([(max_bipartite_match(pd_[d <= r], pg[d <= r], n_dt, n_gt) >= 0).sum()
                     for r in thresholds], np.int64)


@st.composite
def _scenes(draw):
    frames = draw(st.integers(1, 4))
    n_dt = draw(st.integers(0, 60))
    n_gt = draw(st.integers(0, 60))
    seed = draw(st.integers(0, 2**32 - 1))
    side = draw(st.sampled_from([10.0, 40.0, 200.0]))
    rng = np.random.default_rng(seed)
    dt_f, gt_f = rng.integers(0, frames, n_dt), rng.integers(0, frames, n_gt)
    dt_xy, gt_xy = rng.uniform(0, side, (n_dt, 2)), rng.uniform(0, side, (n_gt, 2))
    if draw(st.booleans()):  # integer coordinates: many distances tie a threshold
        dt_xy, gt_xy = np.round(dt_xy), np.round(gt_xy)
    thresholds = np.array(draw(st.lists(st.sampled_from([0.0, 0.5, 1, 2, 3, 5, 8, 13, 30,
                                                         100]), min_size=1, max_size=8)))
    return dt_f, dt_xy, gt_f, gt_xy, thresholds


@settings(max_examples=300, deadline=None)
@given(_scenes())
def test_sizes_equal_one_maximum_matching_per_threshold(scene):
    dt_f, dt_xy, gt_f, gt_xy, thresholds = scene
    pd_, pg = candidate_pairs(dt_f, dt_xy, gt_f, gt_xy, 100.0)
    d = np.hypot(*(dt_xy[pd_] - gt_xy[pg]).T)
    got = matching_sizes(pd_, pg, d, len(dt_xy), len(gt_xy), thresholds)
    want = _one_matching_per_threshold(pd_, pg, d, len(dt_xy), len(gt_xy), thresholds)
    np.testing.assert_array_equal(got, want)


def test_dense_curve_equals_the_per_threshold_matchings():
    rng = np.random.default_rng(7)
    gt_f = np.repeat([0, 1, 2], [3000, 200, 0])
    gt_xy = rng.uniform(0, 800, (len(gt_f), 2))
    keep = rng.random(len(gt_f)) < 0.85
    dt_f = np.r_[gt_f[keep], rng.integers(0, 3, 150)]
    dt_xy = np.r_[gt_xy[keep] + rng.normal(0, 3, (keep.sum(), 2)),
                  rng.uniform(0, 800, (150, 2))]
    thresholds = np.arange(1.0, 101.0)
    p, r = idrees_curve(dt_f, dt_xy, gt_f, gt_xy, thresholds)
    pd_, pg = candidate_pairs(dt_f, dt_xy, gt_f, gt_xy, 100.0)
    d = np.hypot(*(dt_xy[pd_] - gt_xy[pg]).T)
    tp = _one_matching_per_threshold(pd_, pg, d, len(dt_xy), len(gt_xy), thresholds)
    np.testing.assert_array_equal(p, tp / len(dt_xy))
    np.testing.assert_array_equal(r, tp / len(gt_xy))
