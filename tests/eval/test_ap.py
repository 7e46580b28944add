from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from vscrowd.eval import GroundTruth, Predictions, evaluate, tuning
from vscrowd.eval.ap import interpolated_precision

from ._coco import coco_reference


def _make(gt_frames, dt_frames):
    gt = GroundTruth.from_points({("v", f"{i:04d}"): np.array(p, float).reshape(-1, 2)
                                  for i, p in enumerate(gt_frames)})
    preds = Predictions.from_records([{"video": "v", "frame": f"{i:04d}",
                                       "points": [list(p) for p in pts]}
                                      for i, pts in enumerate(dt_frames)])
    return gt, preds


GT_A = [(10, 10), (30, 10), (50, 50)]
DT_A = [(11, 10, 0.9), (30, 14, 0.8), (50, 57, 0.7), (80, 80, 0.6)]


@pytest.mark.parametrize("sigma,m_ap,m_ar", [(5, 0.515842, 0.55), (20, 0.975248, 0.975),
                                             (40, 1.0, 1.0)])
def test_verified_values(sigma, m_ap, m_ar):
    # Values from the issue, computed with pycocotools 2.0.11.
    gt, preds = _make([GT_A, [(100, 100)]], [DT_A, [(103, 100, 0.95)]])
    r = evaluate(gt, preds, sigmas=[sigma]).sigma(sigma)
    assert r.map == pytest.approx(m_ap, abs=5e-7)
    assert r.mar == pytest.approx(m_ar, abs=5e-7)


def test_verified_values_match_pycocotools_exactly():
    gt_frames, dt_frames = [GT_A, [(100, 100)]], [DT_A, [(103, 100, 0.95)]]
    gt, preds = _make(gt_frames, dt_frames)
    res = evaluate(gt, preds, sigmas=[5, 20, 40])
    for r in res.localization:
        prec, rec = coco_reference(gt_frames, dt_frames, r.sigma)
        np.testing.assert_allclose(r.precision, prec, atol=1e-12, rtol=0)
        np.testing.assert_allclose(r.recall, rec, atol=1e-12, rtol=0)


coord = st.integers(0, 24)
score = st.sampled_from([0.1, 0.5, 0.5, 0.9, 0.3333333])
frame_gt = st.lists(st.tuples(coord, coord), max_size=6)
frame_dt = st.lists(st.tuples(coord, coord, score), max_size=8)


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames=st.lists(st.tuples(frame_gt, frame_dt), min_size=1, max_size=4),
       sigma=st.sampled_from([1.0, 2.5, 5.0, 12.0]))
def test_equals_pycocotools_on_random_sets(frames, sigma):
    gt_frames = [f[0] for f in frames]
    dt_frames = [f[1] for f in frames]
    # pycocotools cannot load zero detections; no GT leaves AP undefined (tested below).
    assume(any(dt_frames) and any(gt_frames))
    gt, preds = _make(gt_frames, dt_frames)
    r = evaluate(gt, preds, sigmas=[sigma]).sigma(sigma)
    prec, rec = coco_reference(gt_frames, dt_frames, sigma)
    assert np.max(np.abs(r.precision - prec)) <= 1e-9
    assert np.max(np.abs(r.recall - rec)) <= 1e-9


@settings(max_examples=40, deadline=None)
@given(frames=st.lists(st.tuples(frame_gt, frame_dt), min_size=1, max_size=4),
       seed=st.integers(0, 10**6))
def test_permutation_invariance(frames, seed):
    """Shuffling records and the points inside each record changes nothing if scores
    are distinct (ties are broken by file order by definition)."""
    rng = np.random.default_rng(seed)
    gt_frames = [f[0] for f in frames]
    dt_frames = [[(x, y, s + 1e-6 * rng.random()) for x, y, s in f[1]] for f in frames]
    assume(any(gt_frames))
    gt, preds = _make(gt_frames, dt_frames)
    recs = [{"video": "v", "frame": f"{i:04d}",
             "points": [list(p) for p in rng.permutation(np.array(pts).reshape(-1, 3))]}
            for i, pts in enumerate(dt_frames)]
    shuffled = Predictions.from_records([recs[i] for i in rng.permutation(len(recs))])
    a = evaluate(gt, preds, sigmas=[5.0]).sigma(5.0)
    b = evaluate(gt, shuffled, sigmas=[5.0]).sigma(5.0)
    np.testing.assert_array_equal(a.precision, b.precision)
    np.testing.assert_array_equal(a.recall, b.recall)


def test_perfect_predictions_give_one(synth_ds):
    gt = GroundTruth.from_dataset(synth_ds, "test")
    recs = {}
    for (v, f), fi in zip(gt.frames[["video", "frame"]].itertuples(index=False, name=None),
                          range(len(gt.frames))):
        recs[v, f] = gt.xy[gt.frame_index == fi].tolist()
    preds = Predictions.from_records([{"video": v, "frame": f, "points": p}
                                      for (v, f), p in recs.items()])
    res = evaluate(gt, preds)
    for r in res.localization:
        assert r.map == 1.0 and r.mar == 1.0
    assert res.counting.mae == 0.0


def test_no_ground_truth_gives_undefined_not_zero():
    gt = GroundTruth.from_points({("v", "1"): np.empty((0, 2))})
    preds = Predictions.from_records([{"video": "v", "frame": "1", "points": [[1, 1, 0.9]]}])
    res = evaluate(gt, preds)
    assert all(r.map is None and r.mar is None for r in res.localization)
    assert res.to_dict()["localization"][0]["mAP"] is None


def test_frames_only_fp_and_only_missed():
    gt, preds = _make([[(5, 5)], [], [(50, 50)]], [[(5, 5, 0.9)], [(1, 1, 0.8)], []])
    r = evaluate(gt, preds, sigmas=[5]).sigma(5)
    prec, rec = coco_reference([[(5, 5)], [], [(50, 50)]], [[(5, 5, 0.9)], [(1, 1, 0.8)], []], 5)
    np.testing.assert_allclose(r.precision, prec, atol=1e-12)
    assert r.mar == 0.5


def test_no_detection_cap():
    # 150 heads in one frame, all found: pycocotools' default maxDets=20 would cap.
    pts = [(i * 20.0, 0.0) for i in range(150)]
    gt, preds = _make([pts], [[(x, y, 0.5) for x, y in pts]])
    assert evaluate(gt, preds, sigmas=[5]).sigma(5).mar == 1.0


def test_interpolated_precision_weights_equal_duplication():
    m = np.array([[True, False, True, True, False]])
    w = np.array([2.0, 1.0, 1.0, 3.0, 1.0])
    p_w, r_w = interpolated_precision(m, 10.0, w)
    dup = np.repeat(m, w.astype(int), axis=1)
    p_d, r_d = interpolated_precision(dup, 10.0)
    np.testing.assert_allclose(p_w, p_d)
    np.testing.assert_allclose(r_w, r_d)


@settings(max_examples=30, deadline=None)
@given(frames=st.lists(st.tuples(frame_gt, frame_dt), min_size=1, max_size=4))
def test_shared_candidate_pairs_equal_per_sigma_runs(frames):
    gt_frames = [f[0] for f in frames]
    assume(any(gt_frames))
    gt, preds = _make(gt_frames, [f[1] for f in frames])
    together = evaluate(gt, preds, sigmas=[1.0, 4.0, 12.0])
    for s in (1.0, 4.0, 12.0):
        alone = evaluate(gt, preds, sigmas=[s]).sigma(s)
        np.testing.assert_array_equal(together.sigma(s).precision, alone.precision)
        np.testing.assert_array_equal(together.sigma(s).recall, alone.recall)


def test_shared_default_arrays_are_read_only():
    from vscrowd.eval.ap import COCO_THRESHOLDS, RECALL_THRESHOLDS
    from vscrowd.eval.families.distance import DEFAULT_RADII

    for arr in (COCO_THRESHOLDS, RECALL_THRESHOLDS, DEFAULT_RADII):
        with pytest.raises(ValueError, match="read-only"):
            arr[0] = 0.0


def _pycocotools_loop(matched: np.ndarray, n_gt: int) -> tuple[np.ndarray, float]:
    """pycocotools' accumulate() for one threshold row, written as it is there."""
    from vscrowd.eval.ap import RECALL_THRESHOLDS

    tp = np.cumsum(matched).astype(float)
    fp = np.cumsum(~matched).astype(float)
    rc = tp / n_gt
    pr = (tp / (fp + tp + np.spacing(1))).tolist()
    for i in range(len(pr) - 1, 0, -1):
        if pr[i] > pr[i - 1]:
            pr[i - 1] = pr[i]
    q = np.zeros(len(RECALL_THRESHOLDS))
    for ri, pi in enumerate(np.searchsorted(rc, RECALL_THRESHOLDS, side="left")):
        if pi >= len(pr):
            break
        q[ri] = pr[pi]
    return q, rc[-1]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.booleans(), min_size=1, max_size=400), st.integers(1, 997))
def test_interpolated_precision_equals_the_pycocotools_loop(flags, extra):
    matched = np.array(flags)
    n_gt = int(matched.sum()) + extra % 50  # recall thresholds land on every kind of k/n
    assume(n_gt > 0)  # interpolated_precision is defined for n_gt > 0
    want_p, want_r = _pycocotools_loop(matched, n_gt)
    p, r = interpolated_precision(matched[None, :], n_gt)
    assert p[0].tolist() == want_p.tolist() and r[0] == want_r


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.booleans(), min_size=30, max_size=30), min_size=1, max_size=3),
       st.integers(0, 10**6), st.integers(1, 40), st.sampled_from([1, 7, 64]))
def test_chunked_curves_equal_the_whole_curve(rows, seed, extra, chunk):
    """Reading the pooled order chunk by chunk (any chunk size) gives the numbers of
    the curve over the reordered matrix."""

    matched = np.array(rows)
    order = np.random.default_rng(seed).permutation(matched.shape[1])
    n_gt = int(matched.sum(1).max()) + extra
    want = interpolated_precision(np.take(matched, order, axis=1), n_gt)
    old = tuning.CURVE_CHUNK
    tuning.CURVE_CHUNK = chunk
    try:
        got = interpolated_precision(matched, n_gt, order=order)
        alone = interpolated_precision(matched, n_gt, order=order, threads=1)
    finally:
        tuning.CURVE_CHUNK = old
    assert np.array_equal(got[0], want[0]) and np.array_equal(got[1], want[1])
    assert np.array_equal(alone[0], want[0]) and np.array_equal(alone[1], want[1])
