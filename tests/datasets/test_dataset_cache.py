"""The annotation cache of the registered datasets: a hit gives the very tables (and
warnings) of a cold read, any change to a file under the root is a miss, and nothing is
written anywhere but the cache folder."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pandas as pd
import pytest
from vscrowd.cli.data_commands import REGISTRY_FLAVOURS

import vscrowd
from vscrowd.datasets import cache, dataset_info
from vscrowd.datasets.cache import CACHE_FOLDER

FLAVOURS = [n for n in REGISTRY_FLAVOURS if n not in ("vscrowd", "sensecrowd")]


@pytest.fixture(autouse=True)
def _no_racy_window(monkeypatch):
    """Files written within the last 3 s key by content too, so two opens either side of
    that moment use two entries (by design; tests/datasets/test_vscrowd.py covers it).
    The fixtures here are just written: without the window the counts are exact."""
    monkeypatch.setattr(cache, "_RACY_SECONDS", 0.0)


def _tree(root: Path) -> dict[str, tuple[int, int]]:
    """Every file under ``root`` outside the cache folder: size and mtime."""
    return {str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
            for p in root.rglob("*") if p.is_file() and CACHE_FOLDER not in p.parts}


def _entries(cache: Path) -> set[str]:
    return {p.name for p in cache.iterdir()} if cache.is_dir() else set()


def _same(a, b) -> None:
    for table in ("heads", "frames", "videos"):
        pd.testing.assert_frame_equal(getattr(a, table), getattr(b, table))
    assert a.missing_images == b.missing_images
    assert (type(a), a.name, a.is_video) == (type(b), b.name, b.is_video)


@pytest.mark.parametrize("name", FLAVOURS)
def test_cache_hit_gives_the_cold_tables_and_writes_only_the_cache(tmp_path, name):
    root = dataset_info(name).synth(tmp_path / name, seed=5)
    before = _tree(root)
    cold = vscrowd.open(root, dataset=name, cache=False)
    assert not (root / CACHE_FOLDER).exists()  # cache=False writes nothing
    first = vscrowd.open(root, dataset=name)
    assert len(_entries(root / CACHE_FOLDER)) == 1
    hit = vscrowd.open(root, dataset=name)
    assert len(_entries(root / CACHE_FOLDER)) == 1  # the same entry, read
    _same(cold, first)
    _same(cold, hit)
    assert _tree(root) == before  # nothing written outside the cache folder


def test_cache_replays_the_readers_warnings(tmp_path):
    root = dataset_info("nwpu").synth(tmp_path / "nwpu", seed=1)
    (root / "images" / "0002.jpg").unlink()  # a missing image: warned on every open
    with pytest.warns(vscrowd.VSCrowdWarning) as cold:
        vscrowd.open(root)
    with pytest.warns(vscrowd.VSCrowdWarning) as hit:
        ds = vscrowd.open(root)
    assert [str(w.message) for w in cold] == [str(w.message) for w in hit]
    assert ds.missing_images == [("train", "0002")]


@pytest.mark.parametrize("change", ["annotation", "image", "split list", "new file"])
def test_any_change_under_the_root_is_a_miss(tmp_path, change):
    root = dataset_info("jhu").synth(tmp_path / "jhu", seed=2)
    vscrowd.open(root)
    gt = root / "train" / "gt" / "0001.txt"
    if change == "annotation":  # the same size, the mtime kept: still a new entry
        text = gt.read_text()
        stat = gt.stat()
        gt.write_text(text.replace(text[0], "9" if text[0] != "9" else "8", 1))
        os.utime(gt, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    elif change == "image":
        from PIL import Image

        Image.new("RGB", (50, 40)).save(root / "train" / "images" / "0001.jpg")
    elif change == "split list":
        labels = root / "train" / "image_labels.txt"
        labels.write_text("\n".join(labels.read_text().splitlines()[:-1]) + "\n")
    else:
        (root / "notes.txt").write_text("x")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fresh = vscrowd.open(root)
        cold = vscrowd.open(root, cache=False)
    # An image whose header was read is checked by its stat record after the key
    # matched: the same key, its entry rewritten with the new size.
    assert len(_entries(root / CACHE_FOLDER)) == (1 if change == "image" else 2)
    _same(cold, fresh)
    if change == "image":
        first = fresh.frames.iloc[0]
        assert (first["width"], first["height"]) == (50, 40)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # heads outside the new 50x40 image
            _same(cold, vscrowd.open(root))  # and a hit on the rewritten entry


def _replace_image(path: Path, size: tuple[int, int]) -> None:
    from PIL import Image

    Image.new("RGB", size).save(path, format="JPEG")


def test_images_count_by_name_unless_their_header_was_read(tmp_path):
    """FDST reads one header per video (the first frame's): replacing another frame's
    image is no change to the tables and keeps the entry; replacing the first, adding
    or removing an image is a miss."""
    root = dataset_info("fdst").synth(tmp_path / "fdst", seed=3)
    video = root / "train_data" / "1"
    vscrowd.open(root)
    _replace_image(video / "002.jpg", (64, 48))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # heads outside a 64x48 image: not read, none
        hit = vscrowd.open(root)
    assert len(_entries(root / CACHE_FOLDER)) == 1
    _same(hit, vscrowd.open(root, cache=False))
    _replace_image(video / "001.jpg", (64, 48))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # now the video's heads lie outside 64x48
        fresh = vscrowd.open(root)
        _same(fresh, vscrowd.open(root, cache=False))
    assert set(fresh.frames.loc[fresh.frames["video"] == "1", "width"]) == {64}
    (video / "003.jpg").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gone = vscrowd.open(root)
        _same(gone, vscrowd.open(root, cache=False))
    assert len(_entries(root / CACHE_FOLDER)) == 2
    assert gone.missing_images == [("1", "003")]
    _replace_image(video / "003.jpg", (64, 48))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _same(vscrowd.open(root), hit_again := vscrowd.open(root, cache=False))
    assert hit_again.missing_images == []


@pytest.mark.parametrize("name", FLAVOURS)
def test_every_image_a_reader_opens_is_one_whose_header_it_records(tmp_path, name,
                                                                  monkeypatch):
    """The cache checks only the images in :func:`header_reads`: a reader that opened an
    image any other way (its pixels, a mask) would be served stale tables."""
    import builtins

    from vscrowd.datasets.layout import header_reads

    root = dataset_info(name).synth(tmp_path / name, seed=8)
    opened: list[str] = []
    real_open, real_os_open = builtins.open, os.open

    def spy(opener):
        def wrapped(path, *args, **kwargs):
            if isinstance(path, (str, os.PathLike)):  # (a name under a dir_fd never
                opened.append(os.fspath(path))          # matches a recorded full path)
            return opener(path, *args, **kwargs)
        return wrapped

    monkeypatch.setattr(builtins, "open", spy(real_open))
    monkeypatch.setattr(os, "open", spy(real_os_open))
    with warnings.catch_warnings(), header_reads() as recorded:
        warnings.simplefilter("ignore")
        vscrowd.open(root, dataset=name, cache=False)
    monkeypatch.undo()
    images = {p for p in opened if p.lower().endswith((".jpg", ".jpeg", ".png", ".bmp",
                                                        ".tif", ".tiff"))}
    assert images <= {os.fspath(p) for p in recorded}
    assert recorded  # every reader takes some size from a header


def test_a_linked_image_counts_by_what_it_links_to(tmp_path):
    """A link to an image is keyed by its stat record, not its name: a broken link is a
    located error of the cached open (as any file that cannot be stat'ed), and linking
    it to an image again reads it as present."""
    root = dataset_info("fdst").synth(tmp_path / "fdst", seed=4)
    frame = root / "train_data" / "1" / "003.jpg"
    kept = frame.rename(tmp_path / "003.jpg")
    frame.symlink_to(tmp_path / "gone.jpg")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert ("1", "003") in vscrowd.open(root, cache=False).missing_images
    with pytest.raises(vscrowd.AnnotationFormatError, match="003.jpg"):
        vscrowd.open(root)
    frame.unlink()
    frame.symlink_to(kept)
    ds = vscrowd.open(root)
    assert ds.missing_images == [] and vscrowd.open(root).missing_images == []


def test_a_file_that_comes_or_goes_while_read_leaves_no_entry(tmp_path):
    """The key is taken before the read: a root that changed meanwhile (an image
    removed and put back, as an archive tool rewriting it) would file the tables
    under the key of another state."""
    import dataclasses

    from vscrowd.datasets.cached_read import read_cached

    info = dataset_info("fdst")
    root = info.synth(tmp_path / "fdst", seed=5)
    frame = root / "train_data" / "1" / "003.jpg"

    data = frame.read_bytes()

    def read_while_it_is_gone(r):
        frame.unlink()  # after the key was taken
        return info.read(r)

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gone = read_cached(dataclasses.replace(info, read=read_while_it_is_gone), root)
    frame.write_bytes(data)  # back, after the read: the key of before again
    assert gone.missing_images == [("1", "003")]
    assert not _entries(root / CACHE_FOLDER)
    assert vscrowd.open(root).missing_images == []


def test_an_image_changed_while_read_leaves_no_entry(tmp_path, monkeypatch):
    root = dataset_info("nwpu").synth(tmp_path / "nwpu", seed=9)
    monkeypatch.setattr(cache, "_RACY_SECONDS", 1e6)  # every image "changed just now"
    ds = vscrowd.open(root)
    assert not _entries(root / CACHE_FOLDER)
    _same(ds, vscrowd.open(root, cache=False))


def test_read_only_root_caches_in_the_user_folder(tmp_path, monkeypatch):
    root = dataset_info("qnrf").synth(tmp_path / "qnrf", seed=4)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    before = _tree(root)
    # The root reads as read-only (tests may run as root, who writes anywhere).
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode: False if Path(p) == root
                        else real_access(p, mode))
    vscrowd.open(root)
    hit = vscrowd.open(root)
    assert not (root / CACHE_FOLDER).exists()
    assert len(list((tmp_path / "xdg" / "vscrowd").iterdir())) == 1
    assert _tree(root) == before
    _same(hit, vscrowd.open(root, cache=False))


def test_explicit_cache_dir_is_the_only_thing_written(tmp_path):
    root = dataset_info("fdst").synth(tmp_path / "fdst", seed=6)
    before = _tree(root)
    vscrowd.open(root, cache_dir=tmp_path / "elsewhere")
    vscrowd.open(root, cache_dir=tmp_path / "elsewhere")
    assert len(_entries(tmp_path / "elsewhere")) == 1
    assert not (root / CACHE_FOLDER).exists() and _tree(root) == before


def test_an_edit_in_a_linked_folder_is_a_change(tmp_path):
    root = dataset_info("nwpu").synth(tmp_path / "nwpu", seed=7)
    elsewhere = tmp_path / "jsons-elsewhere"
    (root / "jsons").rename(elsewhere)
    (root / "jsons").symlink_to(elsewhere)
    (root / "loop").symlink_to(root)  # a link loop is walked once
    first = vscrowd.open(root)
    doc = elsewhere / "0001.json"
    doc.write_text(doc.read_text().replace("[[", "[[1.5, 2.5], [", 1))  # one more point
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # human_num and the boxes no longer agree
        again = vscrowd.open(root)
        cold = vscrowd.open(root, cache=False)
    assert len(again.heads) == len(first.heads) + 1
    _same(again, cold)


@pytest.mark.parametrize("name", ["nwpu", "fdst"])
def test_commands_write_nothing_into_the_root_but_the_cache(tmp_path, name):
    """stats, verify, plot, convert, show and eval on a dataset root (their outputs
    elsewhere) leave every file under it as it was; only .vscrowd-cache may appear."""
    import numpy as np
    from click.testing import CliRunner
    from vscrowd.cli.main import app

    from vscrowd.eval import GroundTruth, Predictions, write_predictions

    root = dataset_info(name).synth(tmp_path / name, seed=4)
    out = tmp_path / "out"
    before = _tree(root)
    ds = vscrowd.open(root, cache=False)
    split, frame = ds.frames[["video", "frame"]].iloc[0]
    gt = GroundTruth.from_dataset(ds, None)
    write_predictions(Predictions.from_arrays(gt.frames[["video", "frame"]], gt.frame_index,
                                              gt.xy, np.full(len(gt), 0.9)), out / "p.json")
    for args in (["stats", str(root)], ["verify", str(root)],
                 ["plot", str(root), "--out", str(out / "plots")],
                 ["convert", str(root), "--to", "coco", str(out / "c.json")],
                 ["show", str(root), "--video", str(split), "--frame", str(frame), "--out",
                  str(out / "s.png")],
                 ["eval", str(out / "p.json"), "--data", str(root), "--split", "all"]):
        res = CliRunner().invoke(app, args)
        assert res.exit_code == 0, (args, res.output)
    assert _tree(root) == before


@pytest.mark.parametrize("name,folder", [("dronecrowd", "train_data/images/img003001.jpg"),
                                         ("qnrf", "Test/img_9999_ann.mat")])
def test_an_empty_folder_named_like_a_file_is_a_change(tmp_path, name, folder):
    """Readers glob, and a glob finds folders too: an empty folder named like an
    annotation or image changes what they read, so it changes the key."""
    root = dataset_info(name).synth(tmp_path / name, seed=1)
    vscrowd.open(root)
    (root / folder).mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            cold = vscrowd.open(root, cache=False)
        except vscrowd.AnnotationFormatError as exc:  # a folder where a .mat should be
            with pytest.raises(vscrowd.AnnotationFormatError, match=str(exc)[:20]):
                vscrowd.open(root)
        else:
            _same(cold, vscrowd.open(root))
    assert len(_entries(root / CACHE_FOLDER)) == (2 if name == "dronecrowd" else 1)


@pytest.mark.parametrize("meta", [{"headers": [1]}, {"headers": [[]]}, {"headers": {}},
                                  {"headers": [[None, 1, 2, 3, 4]]}, [], {"missing": 5}])
def test_a_damaged_entry_is_read_again(tmp_path, meta):
    import json

    root = dataset_info("jhu").synth(tmp_path / "jhu", seed=2)
    vscrowd.open(root)
    (entry,) = (root / CACHE_FOLDER).iterdir()
    good = json.loads((entry / "meta.json").read_text())
    (entry / "meta.json").write_text(json.dumps({**good, **meta} if isinstance(meta, dict)
                                                else meta))
    _same(vscrowd.open(root), vscrowd.open(root, cache=False))
    assert json.loads((entry / "meta.json").read_text()) == good  # rewritten


def test_no_cache_on_the_command_line_writes_no_cache(tmp_path, monkeypatch):
    # (--no-cache was ignored for the registered datasets: the entry was read and written.)
    from click.testing import CliRunner
    from vscrowd.cli.main import app

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    root = dataset_info("jhu").synth(tmp_path / "jhu", seed=2)
    for command in (["stats"], ["plot", "--out", str(tmp_path / "p.png")],
                    ["convert", "--to", "parquet", str(tmp_path / "pq")]):
        res = CliRunner().invoke(app, [command[0], str(root), *command[1:], "--no-cache"])
        assert res.exit_code == 0, res.output
        assert not (root / CACHE_FOLDER).exists()
        assert not (tmp_path / "user-cache" / "vscrowd").exists()
    res = CliRunner().invoke(app, ["stats", str(root)])
    assert res.exit_code == 0 and (root / CACHE_FOLDER).is_dir()  # the cache by default
