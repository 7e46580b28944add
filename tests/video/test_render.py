"""``vscrowd render``: the .mp4 decoded back with OpenCV (frames, size, overlay pixels)."""

from __future__ import annotations

import json

import cv2
import numpy as np
import pytest
from click.testing import CliRunner
from vscrowd.cli.main import app

from vscrowd import VSCrowd, synthesize
from vscrowd.eval import Predictions
from vscrowd.video import h264_encoder, predict_video, render_dataset_video, render_prediction_file
from vscrowd.viz.show import COLOURS


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    return synthesize(tmp_path_factory.mktemp("r") / "d", videos=2, frames=5, size=(640, 360),
                      seed=5)


def _decode(path):
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, img = cap.read()
        if not ok:
            break
        frames.append(img)
    fourcc = int(cap.get(cv2.CAP_PROP_FOURCC))
    cap.release()
    return frames, "".join(chr((fourcc >> 8 * k) & 0xFF) for k in range(4))


def _near(img, xy, colour, tol=60):
    x, y = int(xy[0]), int(xy[1])
    return np.abs(img[y, x].astype(int) - colour).max() <= tol


def _isolated(points, k=0, far=20.0):
    d = np.sqrt(((points[:, None] - points[None]) ** 2).sum(-1)) + np.eye(len(points)) * 1e9
    ok = np.flatnonzero((d.min(1) > far) & (points[:, 1] > 80) & (points[:, 1] < 280))
    return ok[k]


@pytest.mark.parametrize("codec", ["mp4v", "h264"])
def test_tp_fp_missed_colours_in_the_decoded_video(root, tmp_path, codec):
    if codec == "h264" and h264_encoder() is None:
        pytest.skip("imageio-ffmpeg (the video extra) is not installed")
    ds = VSCrowd(root)
    fa = ds.frame("test_001", "0003")
    keep, drop = _isolated(fa.xy, 0), _isolated(fa.xy, 1)
    pts = [[*p, 0.9] for i, p in enumerate(fa.xy.tolist()) if i != drop]
    grid = np.array([(x, y) for x in range(40, 600, 10) for y in range(80, 280, 10)], float)
    fp = grid[np.argmax(np.sqrt(((grid[:, None] - fa.xy[None]) ** 2).sum(-1)).min(1))]
    pts.append([*fp, 0.9])  # far from every head: a false positive
    recs = [{"video": "test_001", "frame": f.frame, "points": pts if f.frame == "0003" else []}
            for f in ds.iter_frames("test_001")]
    res = render_dataset_video(ds, "test_001", tmp_path / "o.mp4",
                               Predictions.from_records(recs), codec=codec)
    frames, fourcc = _decode(tmp_path / "o.mp4")
    assert res.codec == codec and len(frames) == 5 and frames[0].shape == (360, 640, 3)
    assert fourcc.lower() in ({"avc1", "h264"} if codec == "h264" else {"mp4v", "fmp4"})
    img = frames[2]
    assert _near(img, fa.xy[keep], COLOURS["tp"])
    assert _near(img, fp, COLOURS["fp"], tol=80)
    ring = fa.xy[drop] + [2 * 3, 0]  # missed heads: a ring of radius 2r (r = 3 here)
    assert any(_near(img, ring + [dx, 0], COLOURS["missed"], tol=80) for dx in (-1, 0, 1))
    assert not _near(frames[0], fa.xy[keep], COLOURS["tp"])  # no prediction there


def test_gt_only_and_plain(root, tmp_path):
    ds = VSCrowd(root)
    fa = ds.frame("test_001", "0001")
    render_dataset_video(ds, "test_001", tmp_path / "g.mp4", codec="mp4v")
    frames, _ = _decode(tmp_path / "g.mp4")
    assert _near(frames[0], fa.xy[_isolated(fa.xy)], COLOURS["gt"])
    render_dataset_video(ds, "test_001", tmp_path / "p.mp4", gt=False, codec="mp4v")
    plain, _ = _decode(tmp_path / "p.mp4")
    src = cv2.imread(str(ds.image_path("test_001", "0001")))
    assert np.abs(plain[0].astype(int) - src).mean() < 6  # only the codec's loss


def test_render_predict_video_output_with_tracks(root, tmp_path):
    ds = VSCrowd(root)
    render_dataset_video(ds, "test_001", tmp_path / "test_001.mp4", gt=False)
    predict_video("baseline", tmp_path / "test_001.mp4", tmp_path / "p.jsonl", track=True)
    res = render_prediction_file(tmp_path / "p.jsonl", tmp_path / "r.mp4", codec="mp4v")
    frames, _ = _decode(tmp_path / "r.mp4")
    assert res.frames == len(frames) == 5 and frames[0].shape == (360, 640, 3)
    # The live count box (black, white text) top left and the strip at the bottom.
    assert frames[0][2:10, 2:10].mean() < 40 and frames[0][-25:].std() > 5


def test_render_cli(root, tmp_path):
    r = CliRunner()
    res = r.invoke(app, ["render", "--data", str(root), "--video", "test_001", "--out",
                         str(tmp_path / "a.mp4"), "--codec", "mp4v"])
    assert res.exit_code == 0 and "5 frames 640x360, mp4v" in res.output, res.output
    assert "browsers may not play" in res.output
    res = r.invoke(app, ["render", "--out", str(tmp_path / "b.mp4")])
    assert res.exit_code == 2 and "--preds" in res.output
    res = r.invoke(app, ["render", "--data", str(root), "--video", "test_001", "--out",
                         str(tmp_path / "c.gif")])
    assert res.exit_code == 2 and ".mp4" in res.output and not (tmp_path / "c.gif").exists()
    bad = tmp_path / "x.jsonl"
    bad.write_text(json.dumps({"format": "vscrowd-predictions", "version": 1}) + "\n")
    res = r.invoke(app, ["render", "--preds", str(bad), "--out", str(tmp_path / "d.mp4")])
    assert res.exit_code == 2 and "source" in res.output


def test_predict_video_cli(root, tmp_path):
    r = CliRunner()
    ds = VSCrowd(root)
    render_dataset_video(ds, "test_001", tmp_path / "test_001.mp4", gt=False)
    out = tmp_path / "p.jsonl"
    res = r.invoke(app, ["predict", "baseline", "--video", str(tmp_path / "test_001.mp4"),
                         "--out", str(out), "--track", "--counts"])
    assert res.exit_code == 0, res.output
    assert "5 frames" in res.output and (tmp_path / "p.counts.csv").exists()
    res = r.invoke(app, ["eval", str(out), "--data", str(root), "--json", "-"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["frames"] == 5 and "tracking" in json.loads(res.stdout)
    (tmp_path / "bad.avi").write_bytes(b"RIFF" + bytes(100))
    res = r.invoke(app, ["predict", "baseline", "--video", str(tmp_path / "bad.avi"),
                         "--out", str(out)])
    assert res.exit_code == 2 and "bad.avi" in res.output and "RIFF" in res.output
    assert len(res.output.strip().splitlines()) == 1
    res = r.invoke(app, ["predict", "baseline", "--out", str(out)])
    assert res.exit_code == 2 and "--video" in res.output


@pytest.mark.parametrize("codec", ["mp4v", "h264"])
def test_a_failed_render_leaves_no_file(root, tmp_path, codec):
    if codec == "h264" and h264_encoder() is None:
        pytest.skip("imageio-ffmpeg (the video extra) is not installed")
    out = tmp_path / "o.mp4"
    out.write_bytes(b"previous")

    def stop(n):
        if n == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        render_dataset_video(VSCrowd(root), "test_001", out, codec=codec, progress=stop)
    assert out.read_bytes() == b"previous" and sorted(p.name for p in tmp_path.iterdir()) == \
        ["o.mp4"]
