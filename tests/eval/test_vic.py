"""Video individual counting: protocols and metrics on hand-checked vectors."""

from __future__ import annotations

import json

import numpy as np
import pytest

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
