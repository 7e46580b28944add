from __future__ import annotations

import os
import time
import warnings

import pytest

from vscrowd import ConfigError, DatasetError, MissingImagesWarning, VSCrowd, VSCrowdWarning
from vscrowd.datasets.cache import cache_key

from ..conftest import write_dataset

TRAIN = "0001 1 0 0 10 10 5 5 2 20 20 30 30 25 25\n0002 1 1 0 11 10 6 5\n0003\n"
TEST = "0001 9 0 0 4 4 2 2\n0002\n"


@pytest.fixture
def tiny(tmp_path):
    return write_dataset(tmp_path / "d", {"train_001": TRAIN, "test_001": TEST},
                         images={"train_001": (64, 48), "test_001": (64, 48)})


def test_tables(tiny):
    ds = VSCrowd(tiny)
    assert ds.videos["video"].tolist() == ["train_001", "test_001"]
    assert ds.videos["split"].tolist() == ["train", "test"]
    assert ds.frames["n_heads"].tolist() == [2, 1, 0, 1, 0]
    assert ds.frames["width"].tolist() == [64] * 5
    assert len(ds.heads) == 4
    assert ds.splits == ["train", "test"]


@pytest.mark.filterwarnings("ignore:1 annotated frame")  # the appended frame has no image
def test_cache_is_used_and_invalidated(tiny, monkeypatch):
    ds1 = VSCrowd(tiny)
    entries = list((tiny / ".vscrowd-cache").iterdir())
    assert len(entries) == 1
    import vscrowd.datasets.cache as cache_module

    parsed = []
    real = cache_module.read_many
    monkeypatch.setattr(cache_module, "read_many",
                        lambda *a, **k: parsed.append(1) or real(*a, **k))
    ds2 = VSCrowd(tiny)
    assert parsed == []  # served from the cache, not parsed again
    assert ds2.heads.equals(ds1.heads)
    assert ds2.frames.equals(ds1.frames)
    # Editing a file changes its size/mtime and therefore the key.
    f = tiny / "annotations" / "test_001.txt"
    key = cache_key(sorted((tiny / "annotations").glob("*.txt")), strict=False)
    f.write_text(TEST + "0003 4 0 0 4 4 2 2\n")
    os.utime(f, (time.time() + 5, time.time() + 5))
    ds3 = VSCrowd(tiny)
    assert len(ds3.heads) == 5
    assert cache_key(sorted((tiny / "annotations").glob("*.txt")), strict=False) != key
    assert len(VSCrowd(tiny, cache=False).heads) == 5


@pytest.mark.filterwarnings("ignore:1 video\\(s\\) have no frames folder")
def test_cache_replays_warnings(tmp_path):
    root = write_dataset(tmp_path / "d", {"train_001": "0001 1 0 0 10 10 50 5\n"})
    for _ in range(2):  # second load comes from the cache and must warn too
        with pytest.warns(VSCrowdWarning, match="outside their head-shoulder box"):
            VSCrowd(root)


def test_select_and_clip(tiny):
    ds = VSCrowd(tiny)
    tr = ds.select(split="train")
    assert tr.videos["video"].tolist() == ["train_001"]
    assert len(tr.heads) == 3
    fr = ds.select(videos="train_001", frames=(1, 3))
    assert fr.frames["frame"].tolist() == ["0002", "0003"]
    assert ds.clip("train_001", "0002") == ["0001", "0002", "0003"]
    assert ds.clip("train_001", "0001") == ["0001", "0001", "0002"]
    assert ds.clip("train_001", 1, length=5, stride=1) == ["0001", "0001", "0001", "0002", "0003"]
    assert ds.clip("train_001", "0001", policy="skip") is None
    with pytest.raises(ConfigError, match="odd"):
        ds.clip("train_001", "0001", length=2)
    with pytest.raises(DatasetError, match="did you mean train_001"):
        ds.select(videos="train_01")
    with pytest.raises(DatasetError, match="expected a split"):
        ds.select(split="val")


def test_frame_lookup(tiny):
    ds = VSCrowd(tiny)
    fa = ds.frame("train_001", 1)  # integer matched by value
    assert fa.frame == "0001" and fa.xy.tolist() == [[5, 5], [25, 25]]
    assert fa.track_id.tolist() == [1, 2]
    assert [f.frame for f in ds.iter_frames("test_001")] == ["0001", "0002"]
    with pytest.raises(DatasetError, match="no frame '0009'"):
        ds.frame("train_001", "0009")


def test_missing_frames_folder_and_images(tmp_path):
    root = write_dataset(tmp_path / "d", {"train_001": TRAIN, "test_001": TEST},
                         images={"train_001": (64, 48)})
    (root / "videos" / "train_001" / "0002.jpg").unlink()
    with pytest.warns(VSCrowdWarning) as rec:
        ds = VSCrowd(root)
    msgs = [str(w.message) for w in rec]
    assert any("no frames folder" in m and "test_001" in m for m in msgs)
    assert any("1 annotated frame(s) have no image: train_001/0002.jpg" in m for m in msgs)
    assert ds.missing_images == [("train_001", "0002")]
    # One class to filter by (an annotations-only copy), still a VSCrowdWarning.
    assert all(issubclass(w.category, MissingImagesWarning) for w in rec)
    assert len(ds.heads) == 4  # annotations still load


def test_center_outside_image(tmp_path):
    root = write_dataset(tmp_path / "d", {"train_001": "0001 1 60 0 80 10 70 5\n"},
                         images={"train_001": (64, 48)})
    with pytest.warns(VSCrowdWarning, match="outside their frame image"):
        VSCrowd(root, cache=False)


def test_split_files_and_scene_labels(tmp_path):
    root = write_dataset(tmp_path / "d", {"train_001": TRAIN, "test_001": TEST,
                                          "test_002": TEST})
    (root / "train.txt").write_text("train_001\n")
    (root / "val.txt").write_text("test_001.txt\n")
    (root / "test.txt").write_text("# comment\ntest_002\n")
    (root / "scene_label.txt").write_text("train_001 0 1 2\ntest_001 1 0 0\n")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = VSCrowd(root)
        named = VSCrowd(root, split_files=None)
    assert ds.videos["split"].tolist() == ["train", "val", "test"]
    assert named.videos["split"].tolist() == ["train", "test", "test"]
    assert ds.videos["scene_labels"].tolist() == [(0, 1, 2), (1, 0, 0), None]
    (root / "val.txt").write_text("test_099\n")
    with pytest.raises(DatasetError, match="test_099"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        VSCrowd(root)


def test_not_a_dataset(tmp_path):
    with pytest.raises(DatasetError, match="no annotations folder"):
        VSCrowd(tmp_path)


def _age(path, seconds: float = 60.0) -> None:
    """Make a file look older than the cache's racy window."""
    t = time.time() - seconds
    os.utime(path, (t, t))


def test_same_size_edit_with_preserved_mtime_is_not_served_stale(tmp_path):
    root = write_dataset(tmp_path / "d", {"test_001": "0001 1 0 0 10 10 5 5\n"})
    f = root / "annotations" / "test_001.txt"
    _age(f)
    assert VSCrowd(root).heads["x"].tolist() == [5.0]
    mtime = f.stat().st_mtime_ns
    f.write_text("0001 1 0 0 10 10 7 5\n")  # same size, then the mtime put back (cp -p)
    os.utime(f, ns=(mtime, mtime))
    assert f.stat().st_mtime_ns == mtime
    assert VSCrowd(root).heads["x"].tolist() == [7.0]


def test_racy_files_are_keyed_by_content(tmp_path):
    root = write_dataset(tmp_path / "d", {"test_001": "0001 1 0 0 10 10 5 5\n"})
    files = sorted((root / "annotations").glob("*.txt"))
    racy = cache_key(files, strict=False)
    (root / "annotations" / "test_001.txt").write_text("0001 1 0 0 10 10 6 5\n")
    assert cache_key(files, strict=False) != racy
    _age(files[0])
    assert cache_key(files, strict=False) not in (racy,)


def test_corrupt_cache_entry_is_replaced(tmp_path):
    root = write_dataset(tmp_path / "d", {"test_001": "0001 1 0 0 10 10 5 5\n"})
    _age(root / "annotations" / "test_001.txt")
    VSCrowd(root)
    (entry,) = (root / ".vscrowd-cache").iterdir()
    (entry / "heads.parquet").write_bytes(b"PAR1 broken")
    assert VSCrowd(root).heads["x"].tolist() == [5.0]  # re-parsed ...
    assert (entry / "heads.parquet").read_bytes() != b"PAR1 broken"  # ... and rewritten
    assert [p.name for p in (root / ".vscrowd-cache").iterdir()] == [entry.name]


def test_split_all_selects_every_frame(synth_ds):
    whole = synth_ds.select(split="all")
    assert whole.frames.equals(synth_ds.frames) and whole.heads.equals(synth_ds.heads)
    assert len(synth_ds.select(split="test").frames) < len(whole.frames)
