"""``predict_video``: sources, clip windows on a stream, records, Ctrl-C, bad input."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vscrowd import VSCrowd
from vscrowd.clipwindow import clip_window
from vscrowd.errors import ConfigError, DatasetError
from vscrowd.eval import evaluate, read_predictions
from vscrowd.eval.vic import read_video_counts
from vscrowd.methods.baselines import background_blobs
from vscrowd.video import open_source, predict_video, render_dataset_video
from vscrowd.video.predictors import BaselineStream, ClipWindows


@given(n=st.integers(1, 12), half=st.integers(0, 3), stride=st.integers(1, 3))
@settings(max_examples=150, deadline=None)
def test_clip_windows_on_a_stream_equal_the_dataset_rule(n, half, stride):
    length = 2 * half + 1
    win = ClipWindows(length, stride)
    got = []
    for i in range(n):
        got += win.push(i, i)
        assert len(win.items) <= 2 * half * stride + 2  # bounded memory
    got += win.finish()
    assert got == [(c, clip_window(n, c, length, stride)) for c in range(n)]


@pytest.fixture(scope="module")
def clip(synth_root, tmp_path_factory) -> Path:
    """The synthetic test video written as an .mp4 (what a user would bring)."""
    out = tmp_path_factory.mktemp("clip") / "test_001.mp4"
    render_dataset_video(VSCrowd(synth_root), "test_001", out, gt=False)
    return out


def _lines(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_baseline_on_an_mp4_writes_a_header_and_one_record_per_frame(clip, synth_root,
                                                                      tmp_path):
    res = predict_video("baseline", clip, tmp_path / "p.jsonl")
    head, *recs = _lines(tmp_path / "p.jsonl")
    assert head["format"] == "vscrowd-predictions" and head["size"] == [160, 96]
    assert head["fps"] == 5.0 and head["source"] == str(clip.resolve())
    assert head["model"].startswith("background-blobs") and "rel_threshold" in \
        head["thresholds"]
    assert [r["frame"] for r in recs] == [1, 2, 3, 4, 5, 6] and res.frames == 6
    assert {r["video"] for r in recs} == {"test_001"}
    preds = read_predictions(tmp_path / "p.jsonl")  # readable by vscrowd eval
    r = evaluate(VSCrowd(synth_root), preds, split="test")
    assert r.frames == 6 and r.sigma(20).map > 0.05


def test_baseline_stream_matches_the_dataset_baseline(synth_root, tmp_path):
    # A short video is seeded with all its frames: the background is the median of the
    # whole video, as in vscrowd.baselines.background_blobs (scipy filters there).
    ds = VSCrowd(synth_root).select(split="test")
    ref = background_blobs(ds)
    predict_video(None, synth_root / "videos" / "test_001", tmp_path / "p.jsonl")
    got = read_predictions(tmp_path / "p.jsonl")
    near = []
    for row in range(len(got.frames)):
        a = got.in_frame(row).xy
        b = ref.in_frame(ref.resolver().row("test_001", got.frames["frame"].iat[row])).xy
        d = np.sqrt(((a[:, None] - b[None]) ** 2).sum(-1))
        assert len(a) and abs(len(a) - len(b)) <= max(2, len(b) // 5)
        near += (d.min(axis=1) <= 1.5).tolist()
    assert np.mean(near) > 0.85, np.mean(near)


def test_points_are_mapped_back_to_source_pixels():
    size = (1920, 1080)
    s = BaselineStream(size, history=3)
    empty = np.full((1080, 1920, 3), 40, np.uint8)
    for i in range(3):
        s.feed(i, empty)
    frame = empty.copy()
    cv2.circle(frame, (1500, 700), 12, (255, 255, 255), -1)
    (idx, pts), = s.feed(3, frame)
    best = pts[np.argmax(pts[:, 2])]
    assert s.scale == pytest.approx(1 / 3) and idx == 3
    assert abs(best[0] - 1500) <= 2 and abs(best[1] - 700) <= 2


def test_every_start_end_select_frame_numbers(synth_root, tmp_path):
    res = predict_video("baseline", synth_root / "videos" / "test_001", tmp_path / "p.jsonl",
                        start=2, end=5, every=2)
    assert [r["frame"] for r in _lines(tmp_path / "p.jsonl")[1:]] == [2, 4]
    assert res.frames == 2
    with pytest.raises(ConfigError, match="start"):
        predict_video("baseline", synth_root / "videos" / "test_001", tmp_path / "q.jsonl",
                      start=4, end=3)
    with pytest.raises(ConfigError, match="tile to be a positive multiple of 8"):
        predict_video("baseline", synth_root / "videos" / "test_001", tmp_path / "q.jsonl",
                      tile=100)
    assert not (tmp_path / "q.jsonl").exists()


def test_track_and_counts(clip, tmp_path):
    res = predict_video("baseline", clip, tmp_path / "p.jsonl", track=True, counts=True)
    preds = read_predictions(tmp_path / "p.jsonl")
    assert preds.track_id is not None and (preds.track_id >= 0).all()
    assert preds.score.min() >= 0.5  # the tracker's score threshold
    rows = (tmp_path / "p.counts.csv").read_text().splitlines()
    assert rows[0] == "frame,time,count,unique_people" and len(rows) == 7
    assert int(rows[-1].split(",")[3]) == res.people
    assert read_video_counts(tmp_path / "p.counts.json")["test_001"].count == res.people


def test_ctrl_c_leaves_a_valid_file_up_to_there(clip, tmp_path):
    out = tmp_path / "p.jsonl"

    def stop(n):
        if n == 3:
            raise KeyboardInterrupt

    res = predict_video("baseline", clip, out, progress=stop)
    assert res.interrupted and res.frames == 3
    assert len(read_predictions(out).frames) == 3
    assert not list(tmp_path.glob(".*partial"))


def test_a_real_sigint_mid_run(synth_root, tmp_path):
    frames = tmp_path / "frames"
    frames.mkdir()
    img = cv2.imread(str(synth_root / "videos" / "test_001" / "0001.jpg"))
    for i in range(400):
        cv2.imwrite(str(frames / f"{i:05d}.png"), img)
    out = tmp_path / "p.jsonl"
    code = ("import sys, time\nfrom vscrowd.video import predict_video\n"
            "def slow(n):\n    print(n, flush=True); time.sleep(0.02)\n"
            f"r = predict_video('baseline', {str(frames)!r}, {str(out)!r}, progress=slow)\n"
            "print('interrupted' if r.interrupted else 'done', r.frames, flush=True)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    for line in proc.stdout:
        if line.strip() == "30":
            proc.send_signal(2)
            break
    rest = proc.stdout.read()
    assert proc.wait(30) == 0 and "interrupted" in rest
    n = int(rest.split()[-1])
    assert 30 <= n < 400 and len(read_predictions(out).frames) == n


def test_a_stream_that_stops_keeps_the_frames_so_far(tmp_path):
    path = tmp_path / "cut.avi"
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    rng = np.random.default_rng(0)
    for _ in range(40):
        vw.write(rng.integers(0, 255, (48, 64, 3), np.uint8))
    vw.release()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])  # the camera dropped mid-file
    res = predict_video("baseline", path, tmp_path / "p.jsonl")
    assert res.stop is not None and 5 < res.stop.frame < 40 and res.stop.expected == 40
    assert len(read_predictions(tmp_path / "p.jsonl").frames) == res.frames == res.stop.frame


def test_unreadable_video_names_file_and_container(tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("these are not frames")
    with pytest.raises(DatasetError, match=r"notes\.mp4.*container"):
        open_source(bad)
    mkv = tmp_path / "x.mkv"
    mkv.write_bytes(b"\x1aE\xdf\xa3" + b"\x00" * 60)
    with pytest.raises(DatasetError, match="Matroska"):
        open_source(mkv)
    with pytest.raises(DatasetError, match="no such"):
        open_source(tmp_path / "missing.mp4")
    with pytest.raises(DatasetError, match="no frame images"):
        open_source(tmp_path)


def test_a_failed_run_keeps_a_previous_output(synth_root, tmp_path):
    frames = tmp_path / "frames"
    frames.mkdir()
    img = cv2.imread(str(synth_root / "videos" / "test_001" / "0001.jpg"))
    for i in range(30):
        cv2.imwrite(str(frames / f"{i:03d}.jpg"), img)
    (frames / "029.jpg").write_bytes(b"broken")
    out = tmp_path / "p.jsonl"
    out.write_text("previous\n")
    with pytest.raises(DatasetError, match="029.jpg"):
        predict_video("baseline", frames, out)
    assert out.read_text() == "previous\n" and not list(tmp_path.glob(".*partial"))


def test_glob_source(synth_root, tmp_path):
    pattern = str(synth_root / "videos" / "test_001" / "000[1-3].jpg")
    res = predict_video("baseline", pattern, tmp_path / "p.jsonl", name="test_001")
    assert res.frames == 3


def test_a_stream_url(clip, tmp_path):
    # An HTTP URL is opened as a stream (no announced length): it ends where the server
    # stops sending, and the run says so.
    import functools
    import http.server
    import threading

    handler = functools.partial(http.server.SimpleHTTPRequestHandler,
                                directory=str(clip.parent))
    handler.log_message = lambda *a: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{clip.name}"
        res = predict_video("baseline", url, tmp_path / "p.jsonl")
    finally:
        server.shutdown()
    head = _lines(tmp_path / "p.jsonl")[0]
    assert head["source"] == url and head["video"] == "test_001"
    assert res.frames == 6 and res.stop is not None and res.stop.frame == 6
    assert "stream ended" in res.stop.reason


def test_cli_says_where_a_stream_stopped(tmp_path):
    from click.testing import CliRunner
    from vscrowd.cli.main import app

    path = tmp_path / "cut.avi"
    vw = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (64, 48))
    for i in range(30):
        vw.write(np.full((48, 64, 3), 8 * i, np.uint8))
    vw.release()
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    res = CliRunner().invoke(app, ["predict", "baseline", "--video", str(path), "--out",
                                   str(tmp_path / "p.jsonl")])
    assert res.exit_code == 0, res.output
    assert "warning: the file ended or could not be decoded further after frame" in res.output
    assert "of 30" in res.output and "holds the frames up to there" in res.output
