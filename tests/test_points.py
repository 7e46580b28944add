"""The core point-set type and the FrameID resolver."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vscrowd import FrameResolver, Points
from vscrowd.eval import GroundTruth, Predictions


def _frames(n: int) -> pd.DataFrame:
    return pd.DataFrame({"video": ["v"] * n, "frame": [f"{i + 1:04d}" for i in range(n)]})


def test_hand_checked_per_frame_access_masks_and_counts():
    pts = Points(_frames(3), np.array([2, 0, 2, 0]), np.arange(8.0).reshape(4, 2),
                 score=np.array([0.9, 0.1, 0.5, 0.7]))
    assert pts.counts().tolist() == [2, 0, 2]
    assert pts.counts(min_score=0.6).tolist() == [1, 0, 1]
    assert pts.in_frame(0).xy.tolist() == [[2.0, 3.0], [6.0, 7.0]]  # input order kept
    assert len(pts.in_frame(1)) == 0
    high = pts[pts.score > 0.6]
    assert high.frame_index.tolist() == [2, 0] and len(high.frames) == 3
    kept = pts.keep_frames(np.array([False, True, True]))
    assert kept.frames["frame"].tolist() == ["0002", "0003"]
    assert kept.frame_index.tolist() == [1, 1] and kept.xy[:, 0].tolist() == [0.0, 4.0]
    table = pts.to_pandas()
    assert table.columns.tolist() == ["video", "frame", "x", "y", "score"]


def test_validation_names_the_field():
    with pytest.raises(ValueError, match="xy of shape"):
        Points(_frames(1), np.array([0]), np.zeros((1, 3)))
    with pytest.raises(ValueError, match="score of shape"):
        Points(_frames(1), np.array([0]), np.zeros((1, 2)), score=np.zeros(2))
    with pytest.raises(ValueError, match="out of range"):
        Points(_frames(1), np.array([1]), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="boxes"):
        GroundTruth(_frames(1), np.array([0]), np.zeros((1, 2)))
    with pytest.raises(ValueError, match="scores"):
        Predictions(_frames(1), np.array([0]), np.zeros((1, 2)))


def test_ground_truth_and_predictions_are_point_sets():
    gt = GroundTruth.from_points({("v", "0001"): [[1.0, 2.0]]})
    pr = Predictions.from_records([{"video": "v", "frame": 1, "points": [[1, 2, 0.5, 7]]}])
    assert isinstance(gt, Points) and isinstance(pr, Points)
    assert pr.track_id.tolist() == [7]
    # The 0.1.0 alias properties still read, with a warning, for one release.
    for obj, old, new in [(gt, "points", "xy"), (gt, "boxes", "box"), (gt, "head_ids", "track_id"),
                          (pr, "points", "xy"), (pr, "scores", "score"),
                          (pr, "track_ids", "track_id")]:
        with pytest.warns(DeprecationWarning, match=f"{old} is now {new}"):
            assert getattr(obj, old) is getattr(obj, new)
    sub = pr[np.array([False])]
    assert isinstance(sub, Predictions) and sub.method == pr.method and len(sub) == 0


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 5), max_size=40), st.integers(1, 6))
def test_in_frame_equals_a_brute_force_mask(index, n_frames):
    fi = np.array([i % n_frames for i in index], np.int64)
    pts = Points(_frames(n_frames), fi, np.column_stack([np.arange(len(fi)), fi]).astype(float))
    for row in range(n_frames):
        assert pts.in_frame(row).xy.tolist() == pts.xy[fi == row].tolist()
    assert pts.counts().tolist() == [int((fi == r).sum()) for r in range(n_frames)]


def test_frame_resolver_exact_then_by_value_first_wins():
    r = FrameResolver(["a", "a", "a", "b"], ["0001", "1", "x", "0001"])
    assert r.row("a", "1") == 1 and r.row("a", 1) == 1 and r.row("a", "001") == 0
    assert r.row("a", "x") == 2 and r.row("b", 1) == 3 and r.row("c", 1) is None
    assert r.rows(["a", "b", "c"], ["x", "01", "1"]).tolist() == [2, 3, -1]
