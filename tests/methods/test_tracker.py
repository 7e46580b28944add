"""The baseline tracker, the `track` command, and tracking/VIC scores through `eval`."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from click.testing import CliRunner
from vscrowd.cli.main import app

from vscrowd import VSCrowd, synthesize
from vscrowd.eval import GroundTruth, Predictions, evaluate, write_predictions
from vscrowd.eval.video_scores import score_counts
from vscrowd.methods.tracker import TrackerConfig, track_points


@pytest.fixture(scope="module")
def ds(tmp_path_factory) -> VSCrowd:
    return VSCrowd(synthesize(tmp_path_factory.mktemp("trk") / "data", videos=4, frames=20,
                              size=(480, 270), seed=8, images=False), cache=False)


def _gt_points(ds, rng=None, jitter=0.0, miss=0.0, false=0.0):
    recs = []
    for fa in ds.iter_frames():
        pts = fa.xy.copy()
        if rng is not None:
            pts = pts + rng.normal(0, jitter, pts.shape)
            pts = pts[rng.random(len(pts)) >= miss]
            extra = rng.uniform(0, 270, (rng.poisson(false * max(len(pts), 1)), 2))
            pts = np.vstack([pts, extra])
        recs.append({"video": fa.video, "frame": fa.frame,
                     "points": [[x, y, 0.9] for x, y in pts.tolist()]})
    return Predictions.from_records(recs)


def test_clean_points_with_jitter_give_idf1_near_one(ds):
    tracks = track_points(_gt_points(ds, np.random.default_rng(0), jitter=1.0), ds)
    r = evaluate(ds, tracks, metrics=["sigma", "track"])
    assert r.tracking.IDF1 > 0.9 and r.tracking.MOTA > 0.85
    assert 0.25 * np.mean(
        r.video_counting["unique"].per_video["gt"]) > r.video_counting["unique"].MAE


def test_graceful_with_missed_and_false_points(ds):
    preds = _gt_points(ds, np.random.default_rng(1), jitter=2.0, miss=0.2, false=0.1)
    r = evaluate(ds, track_points(preds, ds), metrics=["sigma", "track"])
    assert 0.5 < r.tracking.IDF1 < 0.98 and r.tracking.IDSW >= 0


def test_tracker_drops_short_tracks_and_low_scores(ds):
    recs = [{"video": "train_001", "frame": "0001", "points": [[10, 10, 0.9], [50, 50, 0.1]]}]
    out = track_points(Predictions.from_records(recs), ds.select(videos="train_001"),
                       TrackerConfig(min_length=2))
    assert len(out) == 0  # one frame only: shorter than min_length; low score ignored
    with pytest.raises(Exception, match="expected gate"):
        TrackerConfig(gate=0).validate()


def test_synthetic_videos_have_flows_and_the_protocols_differ(ds):
    gt = GroundTruth.from_dataset(ds)
    counts = {v: None for v in ds.videos["video"]}
    vic = score_counts(gt, {}, interval=3)
    per = {p: dict(zip(r.per_video["video"], r.per_video["gt"])) for p, r in vic.items()}
    assert any(per["unique"][v] != per["drnet"][v] for v in counts)
    from vscrowd.eval.vic import video_count
    from vscrowd.eval.video_scores import _frame_ids, _video_slices

    for video, (s, e) in _video_slices(gt).items():
        sel = (gt.frame_index >= s) & (gt.frame_index < e)
        ids = _frame_ids(gt.frame_index[sel], gt.track_id[sel], s, e - s)
        c = video_count(ids, "drnet", 3)
        assert c.inflow.sum() > 0 and c.outflow.sum() > 0, video


def test_cli_track_then_eval_writes_the_documented_keys(ds, tmp_path):
    preds = tmp_path / "p.json"
    write_predictions(_gt_points(ds.select(split="test"), np.random.default_rng(2), 1.0), preds)
    r = CliRunner()
    res = r.invoke(app, ["track", str(preds), "--data", str(ds.root), "--out",
                         str(tmp_path / "t.json")])
    assert res.exit_code == 0, res.output
    res = r.invoke(app, ["eval", str(tmp_path / "t.json"), "--data", str(ds.root),
                         "--vic-interval", "3", "--json", "-"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert set(doc["tracking"]) >= {"HOTA", "DetA", "AssA", "LocA", "MOTA", "MOTP", "IDSW",
                                    "Frag", "IDF1", "IDP", "IDR"}
    assert isinstance(doc["tracking"]["IDSW"], int)
    assert all(0 <= doc["tracking"][k] <= 1 for k in ("HOTA", "IDF1", "IDP", "IDR"))
    assert set(doc["video_counting"]) == {"unique", "drnet"}
    assert set(doc["video_counting"]["drnet"]) >= {"MAE", "RMSE", "WRAE", "MIAE", "MOAE"}
    text = r.invoke(app, ["eval", str(tmp_path / "t.json"), "--data", str(ds.root)]).stdout
    assert "tracking" in text and "video individual counting" in text
    # With scene labels: DRNet's groups in the table, the JSON and the drnet layout.
    labels = tmp_path / "scene_label.txt"
    labels.write_text("".join(f"{v} {i % 2} 0 {i} 1\n" for i, v in
                              enumerate(ds.select(split="test").videos["video"])))
    args = ["eval", str(tmp_path / "t.json"), "--data", str(ds.root), "--labels", str(labels)]
    res = r.invoke(app, [*args, "--json", "-"])
    groups = json.loads(res.stdout)["video_counting"]["drnet"]["breakdowns"]
    assert groups["density1"]["videos"] == groups["all"]["videos"] > 0
    assert groups["all"]["MIAE"] is not None and groups["night"]["videos"] == 0
    assert "by group, protocol drnet" in r.invoke(app, args).stdout
    lines = r.invoke(app, [*args, "--layout", "drnet"]).stdout.splitlines()
    assert len(lines) == 32 and lines[0] == "=" * 20 + " all " + "=" * 20
    assert re.fullmatch(r"MAE: [\d.]+, MSE: [\d.]+  WRAE: [\d.]+ WIAE: [\d.]+ WOAE: [\d.]+",
                        lines[1])


def test_cli_counts_file(ds, tmp_path):
    test_videos = ds.select(split="test").videos["video"].tolist()
    doc = {"format": "vscrowd-video-counts", "version": 1,
           "videos": [{"video": test_videos[0], "count": 10}]}
    (tmp_path / "c.json").write_text(json.dumps(doc))
    res = CliRunner().invoke(app, ["eval", str(tmp_path / "c.json"), "--data", str(ds.root)])
    assert res.exit_code == 0, res.output
    assert "video individual counting" in res.stdout
    if len(test_videos) > 1:
        assert "missing" in res.stderr
    doc["videos"].append({"video": "test_404", "count": 3})
    (tmp_path / "c.json").write_text(json.dumps(doc))
    res = CliRunner().invoke(app, ["eval", str(tmp_path / "c.json"), "--data", str(ds.root)])
    assert res.exit_code == 2 and "test_404" in res.stderr
