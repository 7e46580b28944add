from __future__ import annotations

import json
import time
import warnings

import numpy as np
import pandas as pd
import pytest

from vscrowd import ConfigError, PredictionFormatError, VSCrowdWarning
from vscrowd.eval import GroundTruth, LocalizationMetric, Predictions, evaluate, tuning
from vscrowd.eval.families.distance import distance_ap

GT = GroundTruth.from_points({("a", "0001"): np.array([[10.0, 10.0], [40.0, 40.0]]),
                              ("a", "0002"): np.array([[10.0, 10.0]]),
                              ("b", "0001"): np.array([[5.0, 5.0]])})


def _p(recs):
    return Predictions.from_records(recs)


def test_missing_frames_warn_and_count_as_empty():
    preds = _p([{"video": "a", "frame": "0001", "points": [[10, 10, 0.9]]}])
    with pytest.warns(VSCrowdWarning, match="2 ground-truth frame"):
        res = evaluate(GT, preds, sigmas=[5])
    assert res.sigma(5).mar == 0.25
    assert res.notes["missing_frames"] == 2


def test_unknown_frames_error_or_ignored():
    preds = _p([{"video": "a", "frame": "0001", "points": []},
                {"video": "zzz", "frame": "0001", "points": [[1, 1]]}])
    with pytest.raises(PredictionFormatError, match="zzz/0001"):
        evaluate(GT, preds)
    with pytest.warns(VSCrowdWarning):
        res = evaluate(GT, preds, ignore_unknown=True)
    assert res.pred_points == 0


def test_integer_frame_matched_by_value():
    preds = _p([{"video": "a", "frame": 1, "points": [[10, 10]]},
                {"video": "a", "frame": "2", "points": [[10, 10]]},
                {"video": "b", "frame": "0001", "points": [[5, 5]]}])
    res = evaluate(GT, preds, sigmas=[5])
    assert res.sigma(5).ar50 == 0.75


@pytest.mark.parametrize("dtype", ["str", object])
def test_frame_tables_compared_by_name_whatever_their_dtype(dtype):
    """A prediction table listing the ground truth's frames in its order is taken as
    is, whether its names are Arrow strings or Python objects; one differing name
    (same length, same order otherwise) is still caught."""
    base = [{"video": v, "frame": f, "points": [[10, 10, 0.9]]}
            for v, f in (("a", "0001"), ("a", "0002"), ("b", "0001"))]
    preds = _p(base)
    frames = preds.frames.astype({"video": dtype, "frame": dtype})
    same = Predictions.from_arrays(frames, preds.frame_index, preds.xy, preds.score)
    assert evaluate(GT, same, sigmas=[5]).to_dict() == evaluate(GT, preds, sigmas=[5]).to_dict()
    frames.loc[2, "frame"] = "0003"
    other = Predictions.from_arrays(frames, preds.frame_index, preds.xy, preds.score)
    with pytest.raises(PredictionFormatError, match="b/0003"):
        evaluate(GT, other)


def test_duplicate_by_value_is_an_error():
    preds = _p([{"video": "a", "frame": 1, "points": []},
                {"video": "a", "frame": "0001", "points": []}])
    with pytest.raises(PredictionFormatError,
                       match="two records, 'a/1' and 'a/0001', map to frame a/0001"):
        evaluate(GT, preds)


def test_empty_predictions_list_is_an_error():
    with pytest.raises(PredictionFormatError, match="empty"):
        evaluate(GT, Predictions.empty())


def test_bad_options():
    preds = _p([{"video": "a", "frame": "0001", "points": []}])
    with pytest.raises(ConfigError, match="sigma"):
        evaluate(GT, preds, sigmas=[0])
    with pytest.raises(ConfigError, match="metric"):
        evaluate(GT, preds, metrics=["nope"])


def test_out_of_image_points_are_counted():
    gt = GroundTruth.from_arrays(GT.frames.assign(width=50.0, height=50.0), GT.frame_index,
                                 GT.xy, GT.box)
    preds = _p([{"video": "a", "frame": "0001", "points": [[-1, 10], [60, 10], [10, 10]]},
                {"video": "a", "frame": "0002", "points": []},
                {"video": "b", "frame": "0001", "points": []}])
    assert evaluate(gt, preds).notes["points_outside_image"] == 2


def test_json_contract_keys():
    preds = _p([{"video": "a", "frame": "0001", "points": [[10, 10, 0.9]]},
                {"video": "a", "frame": "0002", "points": []},
                {"video": "b", "frame": "0001", "points": [[5, 6, 0.4]]}])
    d = json.loads(evaluate(GT, preds).to_json())
    assert [e["sigma"] for e in d["localization"]] == [5, 20, 40]
    keys = {"sigma", "AP.50", "AP.75", "mAP", "AR.50", "AR.75", "mAR", "AP", "AR"}
    assert set(d["localization"][0]) == keys
    assert len(d["localization"][0]["AP"]) == 10
    assert set(d["counting"]) >= {"MAE", "RMSE", "NAE", "frames"}
    assert d["frames"] == 3 and d["gt_points"] == 4 and d["pred_points"] == 2
    # Count threshold 0.5: predicted counts 1, 0, 0 vs 2, 1, 1.
    assert d["counting"]["MAE"] == pytest.approx(1.0)
    assert d["counting"]["RMSE"] == pytest.approx(1.0)
    assert d["counting"]["NAE"] == pytest.approx((0.5 + 1 + 1) / 3)


def test_breakdowns_and_bootstrap():
    preds = _p([{"video": "a", "frame": "0001", "points": [[10, 10, 0.9], [80, 80, 0.7]]},
                {"video": "a", "frame": "0002", "points": [[10, 11, 0.8]]},
                {"video": "b", "frame": "0001", "points": []}])
    # (no "size": these heads are points, refused; tests/datasets/test_registry.py)
    res = evaluate(GT, preds, sigmas=[5], metrics=["sigma", "count", "video", "distance"],
                   bootstrap=50)
    pv = res.per_video.set_index("video")
    assert pv.loc["b", "mAR@5"] == 0.0 and pv.loc["b", "gt_points"] == 1
    assert pv.loc["a", "pred_points"] == 3
    b = res.bootstrap
    row = b[(b.metric == "mAR")].iloc[0]
    assert row.low <= row.estimate <= row.high
    assert res.distance_ap.ap.shape == (25,)
    assert "bootstrap" in res.to_dict() and "per_video" in res.to_dict()
    assert "σ" in str(res) and "| σ |" in res.format("markdown")
    with pytest.warns(VSCrowdWarning, match="not in it: distance, video"):
        assert res.format("csv").startswith("sigma,")  # was silent about the others


def test_csv_of_the_default_families_says_nothing():
    preds = _p([{"video": "a", "frame": "0001", "points": [[10, 10, 0.9]]}])
    with pytest.warns(VSCrowdWarning, match="no prediction record"):  # (two frames)
        res = evaluate(GT, preds, sigmas=[5])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert res.format("csv").startswith("sigma,")


def test_distance_ap_hand_computed():
    # One GT, one prediction 3 px away: matched for radii >= 3 only.
    ap = distance_ap(np.array([0]), np.array([[3.0, 0.0]]), np.array([0]), np.array([0]),
                     np.array([0]), np.array([[0.0, 0.0]]), np.arange(1.0, 6.0))
    np.testing.assert_allclose(ap, [0, 0, 1, 1, 1], atol=1e-12)


def test_metric_accumulator_matches_evaluate():
    m = LocalizationMetric(sigmas=[5, 20])
    m.update([[10, 10, 0.9], [80, 80, 0.7]], [[10, 10], [40, 40]])
    m.update(np.empty((0, 3)), [[10, 10]])
    r = m.compute()
    assert r.frames == 2 and r.gt_points == 3
    assert r.sigma(5).mar == pytest.approx(1 / 3)
    # 1 - 2e-16: pycocotools divides by (tp + fp + eps) too.
    assert m.reset().update([[1, 1]], [[1, 1]]).compute().sigma(5).map == pytest.approx(1.0)


def test_metric_accumulator_equals_evaluate_and_ignores_frame_names():
    """The accumulator scores through the same core as evaluate, on its own frame table:
    repeated (video, frame) names are distinct frames, not a duplicate-record error."""
    rng = np.random.default_rng(4)
    frames = [(rng.uniform(0, 100, (6, 2)), rng.uniform(0, 100, (5, 2))) for _ in range(4)]
    named, repeated = LocalizationMetric(sigmas=[5, 20]), LocalizationMetric(sigmas=[5, 20])
    records, gt = [], {}
    for i, (gt_xy, dt_xy) in enumerate(frames):
        dt = np.column_stack([dt_xy, rng.random(len(dt_xy))])
        named.update(dt, gt_xy, video="v", frame=f"{i:04d}")
        repeated.update(dt, gt_xy, video="v", frame="same")
        records.append({"video": "v", "frame": f"{i:04d}", "points": dt.tolist()})
        gt[("v", f"{i:04d}")] = gt_xy
    want = evaluate(GroundTruth.from_points(gt), Predictions.from_records(records),
                    sigmas=[5, 20], metrics=["sigma", "count"]).to_dict()
    assert named.compute().to_dict() == want
    assert repeated.compute().to_dict() == want


@pytest.mark.parametrize("shuffle", [False, True])
def test_blocked_matching_equals_one_block(monkeypatch, shuffle):
    """σ matching runs in blocks of whole frames (and the pooled sort, for large inputs,
    in a thread); any block size, points in any order, give the numbers of a single
    block."""
    from vscrowd.eval import context

    rng = np.random.default_rng(7)
    n = 40
    gt_frame = np.repeat(np.arange(n), rng.integers(0, 12, n))
    gt_xy = rng.uniform(0, 60, (len(gt_frame), 2))
    keep = rng.random(len(gt_frame)) < 0.8
    dt_frame = np.r_[gt_frame[keep], rng.integers(0, n, 30)]
    dt_xy = np.r_[gt_xy[keep] + rng.normal(0, 2, (keep.sum(), 2)), rng.uniform(0, 60, (30, 2))]
    scores = rng.integers(0, 5, len(dt_frame)) / 5  # ties across and within frames
    if shuffle:
        p = rng.permutation(len(dt_frame))
        dt_frame, dt_xy, scores = dt_frame[p], dt_xy[p], scores[p]
    frames = pd.DataFrame({"video": ["v"] * n, "frame": [f"{i:04d}" for i in range(n)],
                           "width": np.nan, "height": np.nan})
    gt = GroundTruth.from_arrays(frames, gt_frame, gt_xy, np.c_[gt_xy - 3, gt_xy + 3])
    preds = Predictions.from_arrays(frames[["video", "frame"]], dt_frame, dt_xy, scores)
    # Families side by side on threads (core._results), bootstrap reading σ-AP's result.
    kw = {"sigmas": [5, 20], "metrics": ["sigma", "count", "size", "video", "box", "distance",
                                         "idrees"], "bootstrap": 3}
    whole = evaluate(gt, preds, **kw).to_dict()
    monkeypatch.setattr(tuning, "BLOCK_POINTS", 17)
    assert len(context._blocks(preds.frame_index, gt.frame_index, n)) > 5
    assert evaluate(gt, preds, **kw).to_dict() == whole
    monkeypatch.setattr(tuning, "BACKGROUND_SORT", 1)  # the pooled sort in a thread too
    assert evaluate(gt, preds, **kw).to_dict() == whole
    # No pool at all, and more threads than blocks: the same numbers.
    assert evaluate(gt, preds, threads=1, **kw).to_dict() == whole
    assert evaluate(gt, preds, threads=7, **kw).to_dict() == whole
    # One costly family alone runs its blocks on the threads (Context.block_threads).
    for name, key in (("sigma", "localization"), ("distance", "distance_ap"),
                      ("idrees", "idrees")):
        alone = evaluate(gt, preds, sigmas=[5, 20], metrics=[name], threads=2).to_dict()
        assert alone[key] == whole[key]
    # The matches themselves (which ground truth each prediction took), per σ.
    from vscrowd.eval.localization import sigma_matches
    from vscrowd.points import Points

    al = context.aligned(Points(frames, dt_frame, dt_xy, scores))
    blocked = context.sigma_matches_blocked(gt, al, (5.0, 20.0))
    for s in (5.0, 20.0):
        dt_gt, gt_matched = sigma_matches(dt_frame, dt_xy, al.dt_rank, gt_frame, gt_xy, s)
        assert np.array_equal(blocked[s][0], dt_gt >= 0) and np.array_equal(blocked[s][1],
                                                                       gt_matched)


def test_eval_options_are_keyword_only_and_validated_when_made():
    from vscrowd.eval.core import EvalOptions

    with pytest.raises(TypeError):
        EvalOptions((5.0,), ("sigma",))  # positional values could shift silently
    for bad in ({"threads": 0}, {"sigmas": (0.0,)}, {"metrics": ("nope",)},
                {"bootstrap": -1}, {"count_threshold": float("nan")},
                # (internal errors before: an overflowing square, NumPy's seed check,
                # SciPy's assignment of a NaN cost matrix)
                {"sigmas": (1e300,)}, {"sigmas": (float("nan"),)}, {"seed": -1},
                {"track_sigma": float("nan")}, {"track_sigma": 0.0},
                {"track_sigma": float("inf")}):
        with pytest.raises(ConfigError):
            EvalOptions(**bad)
    assert EvalOptions(threads=1).threads == 1
    assert EvalOptions(sigmas=(1e9,), track_sigma=0.5).sigmas == (1e9,)


def test_costliest_families_start_first():
    # Side by side, the longest family must not start last (it would run alone at the
    # end); families without a cost keep registry order after the costed ones.
    from vscrowd.eval.core import start_order
    from vscrowd.eval.families import FAMILIES

    names = [f.name for f in start_order([FAMILIES[n] for n in
                                          ("sigma", "count", "box", "distance", "idrees",
                                           "size")])]
    assert names == ["idrees", "sigma", "box", "distance", "count", "size"]


@pytest.mark.parametrize(("metrics", "threads", "blocks_on"),
                         [(["sigma", "count"], 2, 2), (["idrees"], 3, 3),
                          (["sigma", "distance"], 2, 1), (["box", "idrees"], 2, 1),
                          (["sigma"], 1, 1)])
def test_threads_go_to_families_or_to_blocks(monkeypatch, metrics, threads, blocks_on):
    # Several costly families side by side take the threads, each running its blocks in
    # turn (pools inside pools oversubscribe the cores); one alone gets them for its
    # blocks (count costs nothing).
    from vscrowd.eval import context as ctx_mod

    seen = []
    real = ctx_mod.Context.__init__

    def spy(self, *a, **k):
        real(self, *a, **k)
        seen.append(self.block_threads)

    monkeypatch.setattr(ctx_mod.Context, "__init__", spy)
    frames = pd.DataFrame({"video": ["v"], "frame": ["0001"], "width": 64.0,
                           "height": 48.0})
    gt = GroundTruth.from_arrays(frames, np.array([0]), np.array([[5.0, 5.0]]),
                                 np.array([[0.0, 0.0, 10.0, 10.0]]))
    preds = Predictions.from_records([{"video": "v", "frame": "0001",
                                       "points": [[5.0, 6.0, 0.9]]}])
    evaluate(gt, preds, metrics=metrics, threads=threads)
    assert seen == [blocks_on]


def test_an_abandoned_evaluation_stops_its_bootstrap():
    # Ctrl-C with --threads 2: the waiting thread raised, but the pool's exit waited
    # for the bootstrap (minutes for a large --bootstrap) before the process could end.
    import vscrowd.eval.core as core

    preds = _p([{"video": "a", "frame": "0001", "points": [[10, 10, 0.9]]},
                {"video": "a", "frame": "0002", "points": [[10, 11, 0.8]]},
                {"video": "b", "frame": "0001", "points": [[5, 5, 0.7]]}])
    seen = {}
    real = core.FAMILIES["bootstrap"].compute

    def watch(ctx):
        seen["ctx"] = ctx
        return real(ctx)

    def interrupted(ctx):
        while "ctx" not in seen:  # the bootstrap has started
            time.sleep(0.01)
        raise KeyboardInterrupt

    import dataclasses

    families = dict(core.FAMILIES)
    families["bootstrap"] = dataclasses.replace(core.FAMILIES["bootstrap"], compute=watch)
    families["count"] = dataclasses.replace(core.FAMILIES["count"], compute=interrupted)
    start = time.perf_counter()
    with pytest.raises(KeyboardInterrupt), pytest.MonkeyPatch.context() as mp:
        mp.setattr(core, "FAMILIES", families)
        evaluate(GT, preds, sigmas=[5], bootstrap=3_000_000, threads=2)
    assert seen["ctx"].cancelled.is_set()
    assert time.perf_counter() - start < 30  # three million resamples: minutes

