from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vscrowd.eval import GroundTruth, Predictions, evaluate
from vscrowd.eval.families.box import box_threshold_counts
from vscrowd.eval.matching import max_bipartite_match, rank_in_frame, score_orders


def _brute_max_matching(adj: np.ndarray) -> int:
    n_dt, n_gt = adj.shape
    best = 0
    for perm in itertools.permutations(range(n_gt), min(n_dt, n_gt)):
        for dts in itertools.combinations(range(n_dt), len(perm)):
            best = max(best, sum(adj[d, g] for d, g in zip(dts, perm)))
    return best


@settings(max_examples=60, deadline=None)
@given(n_dt=st.integers(0, 5), n_gt=st.integers(0, 5), seed=st.integers(0, 10**6))
def test_max_matching_equals_brute_force(n_dt, n_gt, seed):
    rng = np.random.default_rng(seed)
    adj = rng.random((n_dt, n_gt)) < 0.4
    pd_, pg = np.nonzero(adj)
    m = max_bipartite_match(pd_, pg, n_dt, n_gt)
    assert int((m >= 0).sum()) == _brute_max_matching(adj)
    matched = m[m >= 0]
    assert len(set(matched.tolist())) == len(matched)  # one-to-one
    assert all(adj[d, m[d]] for d in np.flatnonzero(m >= 0))


def test_nwpu_verified_values():
    # Verified with the official NWPU scoring code (σ given directly per GT).
    gt_frame = np.array([0, 0, 0, 2, 2, 3, 3])
    gt_xy = np.array([[10, 10], [20, 10], [50, 50], [200, 200], [300, 300], [100, 100],
                      [104, 100]], float)
    sig_s = np.array([2, 2, 5, 3, 3, 3, 3], float)
    sig_l = np.array([4, 4, 8, 6, 6, 5, 5], float)
    dt_frame = np.array([0, 0, 0, 0, 1, 1, 3, 3])
    dt_xy = np.array([[11, 10], [13, 10], [50, 56], [100, 100], [5, 5], [6, 6], [102, 100],
                      [98, 100]], float)
    for sig, (p, r, f) in ((sig_s, (0.375, 0.428571, 0.4)), (sig_l, (0.5, 0.571429, 0.533333))):
        c = box_threshold_counts(dt_frame, dt_xy, gt_frame, gt_xy, sig)
        prec = c.tp / (c.tp + c.fp)
        rec = c.tp / (c.tp + c.fn)
        assert prec == pytest.approx(p, abs=1e-6)
        assert rec == pytest.approx(r, abs=1e-6)
        assert 2 * prec * rec / (prec + rec) == pytest.approx(f, abs=1e-6)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 4), st.one_of(
    st.sampled_from([0.1, 0.5, 0.9, 0.0, -0.0, -0.5, 5e-324]),
    st.floats(-1e300, 1e300, allow_nan=False))), min_size=1, max_size=30),
    st.booleans(), st.sampled_from([1, 70_001, 2**33]))
def test_score_orders_equal_pycocotools_order(items, sort_frames, spread):
    """Rank within frame and the pooled order, against the definition: per-frame lists
    sorted by score (stable), concatenated in frame order, stably sorted by score
    (frame numbers spread out so that the packed sort keeps few score bits)."""
    if sort_frames:
        items = sorted(items, key=lambda t: t[0])
    frame = np.array([f * spread + f for f, _ in items], np.int64)
    score = np.array([s for _, s in items])
    rank, pooled = score_orders(frame, score)
    per_frame = {f: sorted(np.flatnonzero(frame == f), key=lambda i: -score[i])
                 for f in sorted(set(frame.tolist()))}
    want_rank = np.empty(len(frame), int)
    for idx in per_frame.values():
        want_rank[idx] = np.arange(len(idx))
    concat = [i for f in sorted(per_frame) for i in per_frame[f]]
    want_pooled = sorted(concat, key=lambda i: -score[i])  # Python's sort is stable
    assert rank.tolist() == want_rank.tolist() and pooled.tolist() == want_pooled


def test_rank_in_frame_is_stable():
    assert rank_in_frame(np.array([1, 1, 1]), np.array([0.5, 0.5, 0.9])).tolist() == [1, 2, 0]


def test_box_metric_through_evaluate():
    gt = GroundTruth.from_arrays(
        __import__("pandas").DataFrame({"video": ["v"], "frame": ["1"], "width": [np.nan],
                                        "height": [np.nan]}),
        np.array([0]), np.array([[10.0, 10.0]]), np.array([[7.0, 9.0, 13.0, 11.0]]))
    preds = Predictions.from_records([{"video": "v", "frame": "1", "points": [[13, 10]]}])
    res = evaluate(gt, preds, metrics=["box"])
    s, l_ = res.box_threshold
    # Box 6x2: σ_s = 1 < d = 3 (no match); σ_l = sqrt(40)/2 = 3.16 >= 3 (match).
    assert (s.tp, s.fp, s.fn) == (0, 1, 1)
    assert (l_.tp, l_.fp, l_.fn) == (1, 0, 0)
    assert l_.f1 == 1.0 and s.f1 == 0.0
