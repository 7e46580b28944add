"""Video individual counting: protocols and metrics on hand-checked vectors."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vscrowd import PredictionFormatError
from vscrowd.eval.vic import VideoCount, read_video_counts, vic_metrics, video_count


def _ids(*frames):
    return [np.array(f, np.int64) for f in frames]


def test_protocols_differ_where_someone_is_seen_between_samples():
    # Person 2 is visible only in frame 1, which the interval-2 protocol never samples.
    ids = _ids([1], [1, 2], [1], [1])
    assert video_count(ids, "unique").count == 2
    drnet = video_count(ids, "drnet", interval=2)
    assert drnet.count == 1
    assert drnet.inflow.tolist() == [0, 0] and drnet.outflow.tolist() == [0, 1]


def test_drnet_counts_first_frame_plus_sampled_inflow_and_the_last_pair():
    # 7 frames, interval 2: pairs (0,2) (1,3) (2,4) (3,5) (4,6); counted 0, 2, 4 (= last).
    ids = _ids([1, 2], [2], [2, 3], [3, 9], [3, 4, 5], [5], [5, 6])
    r = video_count(ids, "drnet", interval=2)
    assert r.inflow.tolist() == [1, 2, 2, 1, 1]
    assert r.count == 2 + 1 + 2 + 1  # first frame + inflow of pairs 0, 2, 4
    # 6 frames: pairs 0..3, counted 0, 2 and the last pair 3 (it overlaps pair 2).
    r6 = video_count(ids[:6], "drnet", interval=2)
    assert r6.count == 2 + 1 + 2 + 1
    assert video_count(ids, "unique").count == 7
    with pytest.raises(Exception, match="interval >= 1"):
        video_count(ids, "drnet", interval=0)


def test_metrics_by_hand():
    gt = {"a": VideoCount(10, 100, np.array([1.0, 2]), np.array([0.0, 1])),
          "b": VideoCount(20, 300, np.array([3.0]), np.array([2.0]))}
    pred = {"a": VideoCount(12, 100, np.array([2.0, 2]), np.array([0.0, 0])),
            "b": VideoCount(15, 300, np.array([1.0]), np.array([2.0]))}
    r = vic_metrics(gt, pred, protocol="unique")
    assert pytest.approx(3.5) == r.MAE
    assert pytest.approx(np.sqrt((4 + 25) / 2)) == r.RMSE
    # WRAE: frame-weighted relative error: (2/10 * 100 + 5/20 * 300) / 400
    assert pytest.approx((0.2 * 100 + 0.25 * 300) / 400) == r.WRAE
    assert pytest.approx((1 + 0 + 2) / 3) == r.MIAE and pytest.approx((0 + 1 + 0) / 3) == r.MOAE


def test_missing_videos_count_as_full_errors_and_breakdowns():
    gt = {"a": VideoCount(10, 10), "b": VideoCount(4, 10)}
    r = vic_metrics(gt, {"a": VideoCount(10, 10)}, protocol="unique",
                    labels={"a": (0, 1, 2, 3), "b": (1, 0, 2, 3)})
    assert r.missing == ("b",) and pytest.approx(2.0) == r.MAE
    b = r.breakdowns
    assert (b["in"]["MAE"], b["out"]["MAE"], b["day"]["MAE"], b["night"]["MAE"]) == \
        (0.0, 4.0, 4.0, 0.0)
    assert b["density3"]["MAE"] == 2.0 and b["density3"]["videos"] == 2
    assert b["scenic2"]["RMSE"] == pytest.approx(np.sqrt(8.0))
    # WRAE per group (b: |0 - 4| / 4 = 1), weights within the group; empty groups are None
    assert b["out"]["WRAE"] == 1.0 and b["all"]["WRAE"] == 0.5
    assert b["scenic0"] == {"videos": 0, "MAE": None, "RMSE": None, "WRAE": None,
                            "MIAE": None, "MOAE": None}
    assert list(b)[:5] == ["all", "in", "out", "day", "night"] and len(b) == 16


def test_wrae_is_unknown_without_frame_counts_and_drnet_layout():
    from vscrowd.eval.vic_groups import format_drnet

    gt = {"a": VideoCount(10, 0), "b": VideoCount(4, 0)}
    r = vic_metrics(gt, {"a": VideoCount(12, 0), "b": VideoCount(4, 0)}, protocol="drnet",
                    labels={"a": (0, 1, 2, 3), "b": (1, 0, 2, 3)})
    assert r.WRAE is None and r.breakdowns["all"]["WRAE"] is None
    text = format_drnet(r.breakdowns).splitlines()
    assert text[0] == "=" * 20 + " all " + "=" * 20
    assert text[1] == "MAE: 1.00, MSE: 1.41  WRAE: n/a WIAE: n/a WOAE: n/a"
    assert text[3] == "MAE: 2.00, MSE: 2.00  WRAE: n/a WIAE: n/a WOAE: n/a"  # in = a
    assert text[11] == "MAE: nan, MSE: nan  WRAE: nan WIAE: nan WOAE: nan"  # scenic0


@pytest.mark.parametrize(("doc", "says"), [
    ({"format": "x", "videos": []}, "format"),
    ({"format": "vscrowd-video-counts", "videos": [{"video": "a", "count": -1}]}, "count"),
    ({"format": "vscrowd-video-counts", "videos": [{"video": "a", "count": "3"}]}, "count"),
    ({"format": "vscrowd-video-counts", "videos": [{"video": "a", "count": 1},
                                                   {"video": "a", "count": 2}]}, "twice"),
    ({"format": "vscrowd-video-counts", "videos": [{"video": "a", "count": 1,
                                                    "inflow": [1, -2]}]}, "inflow"),
])
def test_counts_file_errors(tmp_path, doc, says):
    p = tmp_path / "c.json"
    p.write_text(json.dumps(doc))
    with pytest.raises(PredictionFormatError, match=says):
        read_video_counts(p)


def test_published_results_readers_round_trip(tmp_path):
    from vscrowd.eval.vic import read_cgnet_results, read_drnet_counts, write_video_counts

    (tmp_path / "video_results_test.json").write_text(json.dumps(
        {"0817_1_cut_01": {"video_num": 41.5, "frame_num": 120}}))
    counts = read_cgnet_results(tmp_path / "video_results_test.json")
    assert counts["0817_1_cut_01"].count == 41.5 and counts["0817_1_cut_01"].frames == 120
    back = read_video_counts(write_video_counts(counts, tmp_path / "c.json"))
    assert back["0817_1_cut_01"].count == 41.5
    np.save(tmp_path / "15_SENSE_cnt.py.npy", np.array([[10.0, 12.0], [3.0, 3.0]]))
    d = read_drnet_counts(tmp_path / "15_SENSE_cnt.py.npy", ["a", "b"])
    assert d["a"].count == 10.0 and d["b"].count == 3.0
    with pytest.raises(PredictionFormatError, match=r"\(3, 2\)"):
        read_drnet_counts(tmp_path / "15_SENSE_cnt.py.npy", ["a", "b", "c"])


@pytest.mark.parametrize("array", [np.array([["1", "2"], ["3", "4"]]),
                                   np.array([[True, False], [True, True]])])
def test_drnet_array_of_strings_or_booleans_is_refused(tmp_path, array):
    # A string array reached np.isfinite: an internal error (TypeError).
    from vscrowd.eval.vic import load_drnet_array

    np.save(tmp_path / "a.npy", array)
    with pytest.raises(PredictionFormatError, match="expected numbers, got an array of"):
        load_drnet_array(tmp_path / "a.npy", ["x", "y"])


@pytest.mark.parametrize("entry, says", [
    ('{"video_num": NaN, "frame_num": 4}', "finite video_num"),  # was "MAE": NaN out
    ('{"video_num": Infinity}', "finite video_num"),
    ('{"video_num": -1}', "finite video_num"),
    ('{"video_num": 3, "frame_num": -6}', "frame_num >= 0"),
    ('{"video_num": 3, "frame_num": 2.5}', "whole frame_num"),
])
def test_cgnet_results_numbers_are_checked(tmp_path, entry, says):
    from vscrowd.eval.vic import read_cgnet_results

    path = tmp_path / "video_results_test.json"
    path.write_text('{"v1": ' + entry + "}")
    with pytest.raises(PredictionFormatError, match=says) as err:
        read_cgnet_results(path)
    assert err.value.field == "v1"


def _drnet_reference(names, pred, gt, time, labels):
    """DRNet's test_SENSE.py / compute_metrics_all_scenes, transcribed loop for loop
    (group membership by ``scene_l[i] == value``, WRAE with DRNet's 1e-10)."""
    keys = ["all", "in", "out", "day", "night", *[f"scenic{k}" for k in range(6)],
            *[f"density{k}" for k in range(5)]]
    rows = {k: [] for k in keys}
    for n in names:
        lab = labels[n]
        member = {"all": True, "in": lab[0] == 0, "out": lab[0] == 1, "day": lab[1] == 0,
                  "night": lab[1] == 1, **{f"scenic{k}": lab[2] == k for k in range(6)},
                  **{f"density{k}": lab[3] == k for k in range(5)}}
        for k in keys:
            if member[k]:
                rows[k].append((pred[n], gt[n], time[n]))
    out = {}
    for k, r in rows.items():
        if not r:
            continue
        p, g, t = (np.array(c, np.float64) for c in zip(*r))
        wrae = np.sum(np.abs(p - g) / (g + 1e-10) * (t / (t.sum() + 1e-10))) * 100
        out[k] = (np.mean(np.abs(p - g)), np.sqrt(np.mean((p - g) ** 2)), wrae)
    return out


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(1, 300), st.floats(0, 400), st.integers(16, 200),
                          st.integers(0, 1), st.integers(0, 1), st.integers(0, 5),
                          st.integers(0, 4)), min_size=1, max_size=30))
def test_groups_equal_drnets_own_loops(rows):
    names = [f"v{i}" for i in range(len(rows))]
    gt = {n: float(r[0]) for n, r in zip(names, rows)}
    pred = {n: r[1] for n, r in zip(names, rows)}
    time = {n: r[2] for n, r in zip(names, rows)}
    labels = {n: r[3:] for n, r in zip(names, rows)}
    r = vic_metrics({n: VideoCount(gt[n], time[n]) for n in names},
                    {n: VideoCount(pred[n], time[n]) for n in names}, protocol="drnet",
                    labels=labels)
    ref = _drnet_reference(names, pred, gt, time, labels)
    for group, m in r.breakdowns.items():
        if group not in ref:
            assert m["videos"] == 0 and m["MAE"] is None
            continue
        mae, rmse, wrae = ref[group]
        assert m["MAE"] == pytest.approx(mae, rel=1e-9, abs=1e-9)
        assert m["RMSE"] == pytest.approx(rmse, rel=1e-9, abs=1e-9)
        assert 100 * m["WRAE"] == pytest.approx(wrae, rel=1e-6, abs=1e-6)
