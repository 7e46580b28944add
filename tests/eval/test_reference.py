"""The fast σ-AP against the readable reference of tests/eval/_reference.py (the spec),
and the reference itself against pycocotools."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from vscrowd.eval import GroundTruth, Predictions, evaluate

from ._coco import coco_reference
from ._reference import sigma_ap

coord = st.integers(0, 30)
score = st.sampled_from([0.2, 0.5, 0.5, 0.7, 0.9])
frames_st = st.lists(st.tuples(st.lists(st.tuples(coord, coord), max_size=6),
                               st.lists(st.tuples(coord, coord, score), max_size=7)),
                     min_size=1, max_size=4)


def _fast(gt_frames, dt_frames, sigma):
    gt = GroundTruth.from_points({("v", f"{i:03d}"): np.array(p, float).reshape(-1, 2)
                                  for i, p in enumerate(gt_frames)})
    preds = Predictions.from_records([{"video": "v", "frame": f"{i:03d}",
                                       "points": [list(p) for p in pts]}
                                      for i, pts in enumerate(dt_frames)])
    return evaluate(gt, preds, sigmas=[sigma], metrics=["sigma"]).sigma(sigma)


def test_a_hand_checked_frame():
    # Heads at 0 and 10; predictions at 1 (0.9), 50 (0.8), 9 (0.7); σ = 5: two hits, one
    # miss in between -> recall 1, precision 1 up to recall 0.5 and 2/3 after (up to
    # pycocotools' np.spacing(1) guard in the division).
    p, r = sigma_ap([[(0, 0), (10, 0)]], [[(1, 0, 0.9), (50, 0, 0.8), (9, 0, 0.7)]], 5.0)
    assert r[0] == 1.0
    assert abs(p[0, 50] - 1) < 1e-15 and abs(p[0, 51] - 2 / 3) < 1e-15
    # At σ = 1 both hits are 1 px from their heads: similarity exp(-1/2) = 0.61 matches at
    # t = 0.50, 0.55, 0.60 only.
    p, r = sigma_ap([[(0, 0), (10, 0)]], [[(1, 0, 0.9), (50, 0, 0.8), (9, 0, 0.7)]], 1.0)
    assert list(r) == [1.0] * 3 + [0.0] * 7


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames=frames_st, sigma=st.sampled_from([1.0, 3.0, 5.0, 12.0]))
def test_fast_evaluator_equals_the_reference(frames, sigma):
    gt_frames, dt_frames = [f[0] for f in frames], [f[1] for f in frames]
    assume(any(gt_frames))  # without heads AP is undefined (tested in test_ap.py)
    r = _fast(gt_frames, dt_frames, sigma)
    prec, rec = sigma_ap(gt_frames, dt_frames, sigma)
    np.testing.assert_array_equal(r.precision, prec)
    np.testing.assert_array_equal(r.recall, rec)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames=frames_st, sigma=st.sampled_from([2.0, 5.0]))
def test_reference_equals_pycocotools(frames, sigma):
    gt_frames, dt_frames = [f[0] for f in frames], [f[1] for f in frames]
    assume(any(gt_frames) and any(dt_frames))  # pycocotools cannot load zero detections
    prec, rec = sigma_ap(gt_frames, dt_frames, sigma)
    c_prec, c_rec = coco_reference(gt_frames, dt_frames, sigma)
    np.testing.assert_array_equal(prec, c_prec)
    np.testing.assert_array_equal(rec, c_rec)


def test_equal_similarities_go_to_the_later_head():
    # The prediction at x=1 is equally close to the heads at 0 and 2; pycocotools' loop
    # keeps the later head (2), so the second prediction (x=3) must take the head at 0,
    # 3 px away (similarity 0.835 at σ = 5): a hit up to t = 0.80, a miss above.
    gt, dt = [[(0, 0), (2, 0)]], [[(1, 0, 0.9), (3, 0, 0.8)]]
    p, r = sigma_ap(gt, dt, 5.0)
    assert list(r) == [1.0] * 7 + [0.5] * 3
    fast = _fast(gt, dt, 5.0)
    np.testing.assert_array_equal(fast.recall, r)
    np.testing.assert_array_equal(fast.precision, p)


def _dense_frames(seed: int, n: int, jitter: int) -> tuple[list, list]:
    """Two crowded frames of ``n`` heads on a 40 px square: 3/4 of them found within
    ``jitter`` px, n/4 false positives, scores with ties (file order decides)."""
    rng = np.random.default_rng(seed)
    gt_frames, dt_frames = [], []
    for _ in range(2):
        g = rng.integers(0, 40, (n, 2)).astype(float)
        d = np.r_[g[: n * 3 // 4] + rng.integers(-jitter, jitter + 1, (n * 3 // 4, 2)),
                  rng.integers(0, 40, (n // 4, 2))]
        s = rng.choice([0.3, 0.5, 0.7, 0.9], len(d))
        gt_frames.append([tuple(p) for p in g])
        dt_frames.append([(x, y, c) for (x, y), c in zip(d, s)])
    return gt_frames, dt_frames


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(20, 90), sigma=st.sampled_from([4.0, 12.0]))
def test_dense_frames_settled_in_rounds_equal_the_reference(seed, n, sigma):
    # Dense, crowded frames: one component holds most predictions, and the greedy rule
    # is settled in rounds of predictions that share no head (matching._levels); the
    # outcome must be the one-by-one rule's.
    gt_frames, dt_frames = _dense_frames(seed, n, 3)
    r = _fast(gt_frames, dt_frames, sigma)
    prec, rec = sigma_ap(gt_frames, dt_frames, sigma)
    np.testing.assert_array_equal(r.precision, prec)
    np.testing.assert_array_equal(r.recall, rec)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(5, 60))
def test_several_sigmas_at_once_equal_the_reference_for_each(seed, n):
    # One evaluation with σ = 2, 4 and 12: the σ values share one candidate search and
    # one set of components and rounds (matching.greedy_match_many, built from the
    # widest σ's pairs); each σ's curve must still be the one-by-one rule's.
    gt_frames, dt_frames = _dense_frames(seed, n, 6)
    gt = GroundTruth.from_points({("v", f"{i:03d}"): np.array(p, float).reshape(-1, 2)
                                  for i, p in enumerate(gt_frames)})
    preds = Predictions.from_records([{"video": "v", "frame": f"{i:03d}",
                                       "points": [list(p) for p in pts]}
                                      for i, pts in enumerate(dt_frames)])
    res = evaluate(gt, preds, sigmas=[2.0, 4.0, 12.0], metrics=["sigma"])
    for sigma in (2.0, 4.0, 12.0):
        prec, rec = sigma_ap(gt_frames, dt_frames, sigma)
        np.testing.assert_array_equal(res.sigma(sigma).precision, prec)
        np.testing.assert_array_equal(res.sigma(sigma).recall, rec)
