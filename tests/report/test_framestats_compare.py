"""Per-frame TP/FP/missed on hand-checkable frames; ``vscrowd compare``."""

from __future__ import annotations

import json

import numpy as np
import pytest
from click.testing import CliRunner
from vscrowd.cli.main import app

from vscrowd.errors import ConfigError
from vscrowd.eval import GroundTruth, Predictions
from vscrowd.report import frame_stats
from vscrowd.report.compare import compare_runs

from .browser import load, needs_chromium


def test_frame_stats_by_hand():
    gt = GroundTruth.from_points({("v", "1"): np.array([[10.0, 10.0], [50.0, 50.0]]),
                                  ("v", "2"): np.array([[5.0, 5.0]] * 1),
                                  ("w", "1"): np.empty((0, 2))})
    preds = Predictions.from_records([
        {"video": "v", "frame": "1", "points": [[11, 10, 0.9], [100, 100, 0.9],
                                                [52, 50, 0.3]]},  # under the threshold
        {"video": "w", "frame": "1", "points": [[1, 1, 0.8]]},
        {"video": "x", "frame": "9", "points": [[1, 1, 0.8]]}])  # not in GT: ignored
    st = frame_stats(gt, preds, sigma=20, threshold=0.5)
    t = st.table.set_index(["video", "frame"])
    assert t.loc[("v", "1"), ["gt", "pred", "tp", "fp", "missed"]].tolist() == [2, 2, 1, 1, 1]
    assert t.loc[("v", "2"), ["gt", "pred", "tp", "fp", "missed"]].tolist() == [1, 0, 0, 0, 1]
    assert t.loc[("w", "1"), ["gt", "pred", "tp", "fp", "missed"]].tolist() == [0, 1, 0, 1, 0]
    pv = st.per_video().set_index("video")
    assert pv.loc["v", "recall"] == pytest.approx(1 / 3) and pv.loc["v", "precision"] == 0.5
    assert np.isnan(pv.loc["w", "recall"])  # no heads: recall undefined
    dens = st.per_density()
    assert dens["GT heads"].tolist() == ["0-9"] and dens["frames"].tolist() == [3]
    assert st.worst("missed", 5)["frame"].tolist() == ["1", "2"]


def _doc(map20: float, mae: float) -> dict:
    loc = {"sigma": 20, "AP.50": map20, "AP.75": map20, "mAP": map20, "AR.50": 0.5,
           "AR.75": 0.5, "mAR": 0.5, "AP": [map20] * 10, "AR": [0.5] * 10}
    return {"localization": [loc], "counting": {"MAE": mae, "RMSE": mae, "NAE": 0.1,
                                                "frames": 3, "count_threshold": 0.5},
            "frames": 3, "gt_points": 9, "pred_points": 9}


@pytest.fixture
def runs(tmp_path):
    a, b = tmp_path / "base.json", tmp_path / "ablation.json"
    a.write_text(json.dumps(_doc(0.40, 3.0)))
    b.write_text(json.dumps(_doc(0.45, 4.0)))
    return a, b


def test_compare_marks_differences(runs):
    cols, rows = compare_runs(runs)
    assert cols == ["metric", "base", "ablation", "Δ ablation"]
    by = {r[0]: r for r in rows}
    assert by["mAP σ=20"][3] == pytest.approx(0.05) and by["count MAE"][3] == 1.0
    with pytest.raises(ConfigError, match="two or more"):
        compare_runs(runs[:1])


@needs_chromium
def test_compare_page_in_a_browser(runs, tmp_path):
    res = CliRunner().invoke(app, ["compare", *map(str, runs), "--out", str(tmp_path / "c")])
    assert res.exit_code == 0, res.output
    assert "mAP σ=20" in res.output and "+5.00" in res.output and "+1.000" in res.output
    seen = load(tmp_path / "c" / "index.html", tmp_path, size="900,700")
    assert seen.console == []
    row = seen.dom.split(">mAP σ=20<")[1].split("</tr>")[0]
    assert 'class="better"' in row  # higher mAP: better
    row = seen.dom.split(">count MAE<")[1].split("</tr>")[0]
    assert 'class="worse"' in row  # higher MAE: worse


def test_per_scene_and_worst_frame_rows():
    gt = GroundTruth.from_points({("a", "1"): np.zeros((3, 2)), ("a", "2"): np.zeros((9, 2)),
                                  ("b", "1"): np.zeros((1, 2))})
    preds = Predictions.from_records([{"video": "b", "frame": "1", "points": []}])
    st = frame_stats(gt, preds)
    sc = st.per_scene({"a": [1, 2], "b": [2], "c": None}).set_index("scene")
    assert sc.loc["1", "gt"] == 12 and sc.loc["2", "gt"] == 13 and sc.loc["2", "frames"] == 3
    # worst_frame names a row of the frame table: frame a/2 (9 heads missed)
    assert st.table.loc[sc.loc["2", "worst_frame"], ["video", "frame"]].tolist() == ["a", "2"]
