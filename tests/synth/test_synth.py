from __future__ import annotations

import hashlib
import warnings

import cv2
import numpy as np
import pandas as pd
import pytest

from vscrowd import ConfigError, OutputError, VSCrowd, synthesize
from vscrowd.viz.stats import head_sizes


def _digest(root):
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file() and ".vscrowd-cache" not in p.parts:
            h.update(p.relative_to(root).as_posix().encode())
            h.update(p.read_bytes())
    return h.hexdigest()


def test_layout(synth_root):
    names = sorted(p.stem for p in (synth_root / "annotations").glob("*.txt"))
    assert names == ["test_001", "train_001", "train_002", "train_003"]
    frames = sorted(p.name for p in (synth_root / "videos" / "train_001").iterdir())
    assert frames == [f"{i:04d}.jpg" for i in range(1, 7)]
    img = cv2.imread(str(synth_root / "videos" / "train_001" / "0001.jpg"))
    assert img.shape == (96, 160, 3)


def test_loads_without_warnings(synth_ds):
    assert len(synth_ds.heads) > 50
    assert synth_ds.missing_images == []


def test_deterministic(tmp_path):
    a = synthesize(tmp_path / "a", videos=2, frames=3, size=(96, 64), seed=7)
    b = synthesize(tmp_path / "b", videos=2, frames=3, size=(96, 64), seed=7)
    c = synthesize(tmp_path / "c", videos=2, frames=3, size=(96, 64), seed=8)
    assert _digest(a) == _digest(b)
    assert _digest(a) != _digest(c)


def test_perspective_and_long_tail(tmp_path):
    root = synthesize(tmp_path / "p", videos=3, frames=4, size=(480, 270), seed=1)
    ds = VSCrowd(root, cache=False)
    sz = head_sizes(ds.heads)
    y = ds.heads["y"].to_numpy()
    top, bottom = sz[y < 100].mean(), sz[y > 200].mean()
    assert bottom > 1.5 * top
    assert np.corrcoef(y, sz)[0, 1] > 0.8
    # Long tail to the right: mean above median, positive skew, p99 far above the median.
    skew = np.mean((sz - sz.mean()) ** 3) / sz.std() ** 3
    assert sz.mean() > np.median(sz) and skew > 0.5
    assert np.percentile(sz, 99) > 2.5 * np.median(sz)


def test_track_continuity(synth_ds):
    h = synth_ds.heads.sort_values(["video", "head_id", "frame_index"])
    same = ((h["video"].to_numpy()[1:] == h["video"].to_numpy()[:-1])
            & (np.diff(h["head_id"].to_numpy()) == 0)
            & (np.diff(h["frame_index"].to_numpy()) == 1))
    step = np.hypot(np.diff(h["x"].to_numpy()), np.diff(h["y"].to_numpy()))[same]
    size = head_sizes(h)[:-1][same]
    assert len(step) > 50
    # Bounded steps: at most ~1.5 head-shoulder box sizes per frame.
    assert (step <= 1.5 * size + 2).all()
    assert np.median(step) > 0.1  # and they do move


def test_hard_cases_exist_and_are_low_contrast(tmp_path):
    root = synthesize(tmp_path / "h", videos=2, frames=6, size=(320, 180), seed=2)
    hard = pd.read_csv(root / "synth_hard_cases.csv", dtype={"frame": str})
    assert {"occluded", "blurred", "dark"} <= set(hard["kind"])
    ds = VSCrowd(root, cache=False)
    contrast = {"dark": [], "normal": []}
    dark = {(v, f, i) for v, f, i, k in hard.itertuples(index=False) if k == "dark"}
    flagged = {(v, f, i) for v, f, i, _ in hard.itertuples(index=False)}
    for fa in ds.iter_frames():
        img = cv2.imread(str(ds.image_path(fa.video, fa.frame)), cv2.IMREAD_GRAYSCALE)
        img = img.astype(float)
        for hid, (x1, y1, x2, y2) in zip(fa.track_id, fa.box):
            if x2 - x1 < 12:
                continue
            key = (fa.video, fa.frame, int(hid))
            patch = img[int(y1):int(y2) + 1, int(x1):int(x2) + 1]
            if key in dark:
                contrast["dark"].append(patch.std())
            elif key not in flagged:
                contrast["normal"].append(patch.std())
    assert len(contrast["dark"]) >= 3
    assert np.median(contrast["dark"]) < 0.8 * np.median(contrast["normal"])


def test_test_split_denser_on_average(tmp_path):
    root = synthesize(tmp_path / "d", videos=16, frames=2, size=(160, 96), seed=0,
                      images=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = VSCrowd(root, cache=False)
    per = ds.videos.groupby("split")["n_heads"].mean()
    assert per["test"] > per["train"]


def test_refuses_non_empty_out_and_keeps_foreign_files(tmp_path):
    out = tmp_path / "o"
    out.mkdir()
    (out / "mine.txt").write_text("keep me")
    with pytest.raises(OutputError, match="not empty"):
        synthesize(out, videos=1, frames=1, size=(64, 48))
    synthesize(out, videos=3, frames=2, size=(64, 48), overwrite=True)
    assert (out / "annotations" / "test_001.txt").exists()
    # A smaller re-run removes only the files the earlier run wrote.
    synthesize(out, videos=1, frames=1, size=(64, 48), overwrite=True)
    assert (out / "mine.txt").read_text() == "keep me"
    assert sorted(p.name for p in (out / "annotations").iterdir()) == ["train_001.txt"]


@pytest.mark.parametrize("kw,match", [
    ({"videos": 0}, "at least 1 video"),
    ({"frames": 0}, "at least 1 frame"),
    ({"size": (8, 8)}, "size"),
    ({"train_fraction": 1.5}, "train fraction"),
])
def test_bad_arguments(tmp_path, kw, match):
    with pytest.raises(ConfigError, match=match):
        synthesize(tmp_path / "x", **kw)


def test_not_writable(tmp_path):
    blocker = tmp_path / "file.txt"
    blocker.write_text("a file, not a folder")
    with pytest.raises(OutputError, match="cannot create"):
        synthesize(blocker / "x", videos=1, frames=1, size=(64, 48))
    with pytest.raises(OutputError, match="not a folder"):
        synthesize(blocker, videos=1, frames=1, size=(64, 48))


def test_annotations_do_not_depend_on_images(tmp_path):
    a = synthesize(tmp_path / "a", videos=2, frames=3, size=(96, 64), seed=4)
    b = synthesize(tmp_path / "b", videos=2, frames=3, size=(96, 64), seed=4, images=False)
    for f in sorted((a / "annotations").iterdir()):
        assert (b / "annotations" / f.name).read_bytes() == f.read_bytes()


def test_people_enter_leave_and_reappear_after_occlusion(tmp_path):
    from vscrowd import VSCrowd

    ds = VSCrowd(synthesize(tmp_path / "d", videos=3, frames=15, size=(320, 180), seed=2,
                            images=False), cache=False)
    gaps = 0
    for video in ds.videos["video"]:
        frames = [set(fa.track_id.tolist()) for fa in ds.iter_frames(video)]
        ids = set().union(*frames)
        assert ids - frames[0], "someone enters"
        assert ids - frames[-1], "someone leaves"
        for i in ids:
            seen = [i in f for f in frames]
            first, last = seen.index(True), len(seen) - 1 - seen[::-1].index(True)
            gaps += not all(seen[first:last + 1])
    assert gaps > 0  # hidden for a few frames, then back with the same ID
