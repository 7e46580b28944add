"""The fast paths of the native readers (msgspec JSON, vectorised text, FDST's videos
read at once into columns) give exactly what the general readers give, and hand anything
unusual to them (whose errors name the file, line and key)."""

from __future__ import annotations

import json
import os
import tempfile
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vscrowd._text import read_small_files
from vscrowd.datasets import dataset_info, fdst, image_dataset, jhu, nwpu
from vscrowd.datasets._annotation_text import number_rows, number_rows_many
from vscrowd.datasets.image_dataset import ImageRecord
from vscrowd.datasets.video_dataset import VideoDataset
from vscrowd.errors import AnnotationFormatError


@pytest.mark.parametrize("doc", [
    {"img_id": "1.jpg", "human_num": 2, "points": [[1, 2.5], [3e2, 4]],
     "boxes": [[0, 1, 2, 3], [1.5, 2, 3, 4]]},
    {"points": []}, {"points": [[1, 2]], "human_num": 1.0},
    {"points": [[1, 2]], "human_num": None}, {"points": [[-0.0, 1e-300]]},
])
def test_nwpu_fast_path_equals_the_general_reader(tmp_path, doc):
    path = tmp_path / "1.json"
    path.write_text(json.dumps(doc))
    pts, boxes, _ = nwpu._read_general(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # human_num checks: not what is compared here
        fast_pts, fast_boxes = nwpu.read_nwpu_json(path)
    np.testing.assert_array_equal(fast_pts, pts)
    assert (boxes is None) == (fast_boxes is None)
    if boxes is not None:
        np.testing.assert_array_equal(fast_boxes, boxes)


@pytest.mark.parametrize("bad", ['{"points": [[1]]}', '{"points": "x"}', "[1, 2]",
                                 '{"points": [[1, 2]], "boxes": null}', "{"])
def test_nwpu_unusual_files_get_the_general_readers_error(tmp_path, bad):
    path = tmp_path / "1.json"
    path.write_text(bad)
    with pytest.raises(AnnotationFormatError) as fast:
        nwpu.read_nwpu_json(path)
    with pytest.raises(AnnotationFormatError) as general:
        nwpu._read_general(path)
    assert str(fast.value) == str(general.value)


def test_nwpu_human_num_null_still_warns(tmp_path):
    path = tmp_path / "1.json"
    path.write_text('{"points": [[1, 2]], "human_num": null}')
    with pytest.warns(UserWarning, match="human_num None"):
        nwpu.read_nwpu_json(path)


def _via(regions) -> str:
    return json.dumps({"001.jpg123": {"filename": "001.jpg", "regions": regions}})


@pytest.mark.parametrize("regions", [
    [{"shape_attributes": {"name": "rect", "x": 1, "y": 2, "width": 3.5, "height": 4}}],
    {"0": {"shape_attributes": {"x": 1, "y": 2, "width": 3, "height": 4}}}, [],
])
def test_fdst_fast_path_equals_the_general_reader(tmp_path, regions):
    path = tmp_path / "001.json"
    path.write_text(_via(regions))
    np.testing.assert_array_equal(fdst.read_fdst_json(path), fdst._read_general(path))


@pytest.mark.parametrize("regions", [
    [{"shape_attributes": {"name": "polygon", "x": 1, "y": 2, "width": 3, "height": 4}}],
    [{"shape_attributes": {"x": True, "y": 2, "width": 3, "height": 4}}],
    [{"shape_attributes": {"y": 2, "width": 3, "height": 4}}],
])
def test_fdst_unusual_regions_get_the_general_readers_error(tmp_path, regions):
    path = tmp_path / "001.json"
    path.write_text(_via(regions))
    with pytest.raises(AnnotationFormatError, match="shape_attributes"):
        fdst.read_fdst_json(path)


_RECT = ("x", "y", "width", "height")
_NUMBER = st.one_of(st.integers(0, 3000), st.integers(-40, -1),
                    st.integers((1 << 53) - 2, (1 << 64) + 2),
                    st.floats(0, 3000, allow_nan=False).map(lambda v: round(v, 2)))
_SPELLINGS = ({"separators": (",", ":")}, {}, {"indent": 1}, {"separators": (", ", ":")})


@st.composite
def _via_video(draw) -> list[str]:
    """A few frame files: VIA entries of rectangles as VIA and Python write them, and
    variations (other spellings, key orders, digits in keys, non-integer, negative or
    huge numbers, region attributes)."""
    files = []
    for _ in range(draw(st.integers(1, 4))):
        regions = []
        for _ in range(draw(st.integers(0, 4))):
            keys = draw(st.sampled_from([_RECT, _RECT, _RECT, ("y", "x", "width", "height"),
                                         ("x1", "y", "width", "height"),
                                         ("x", "y", "width", "9height")]))
            shape = {"name": draw(st.sampled_from(["rect", "rect", "rect1"])),
                     **{k: draw(_NUMBER) for k in keys}}
            attributes = draw(st.sampled_from([{}, {}, {"type": "head"}, {"a1": 1}]))
            regions.append({"shape_attributes": shape, "region_attributes": attributes})
        doc = {"001.jpg123": {"filename": "001.jpg", "size": 123, "regions": regions,
                              "file_attributes": {}}}
        files.append(json.dumps(doc, **draw(st.sampled_from(_SPELLINGS))))
    return files


@settings(max_examples=150, deadline=None)
@given(_via_video())
def test_fdst_video_reads_what_the_general_reader_reads(files):
    with tempfile.TemporaryDirectory() as tmp:
        names = [f"{i:03d}.json" for i in range(1, len(files) + 1)]
        for name, text in zip(names, files):
            (Path(tmp) / name).write_text(text)
        try:
            ref = [fdst._read_general(Path(tmp) / name) for name in names]
        except AnnotationFormatError as exc:  # a key with a digit: no "x", ...
            with pytest.raises(AnnotationFormatError) as got:
                fdst._read_video(Path(tmp), names)
            assert str(got.value) == str(exc)
            return
        boxes, counts = fdst._read_video(Path(tmp), names)
    assert counts == [len(r) for r in ref]
    np.testing.assert_array_equal(boxes, np.concatenate(ref))


@pytest.mark.parametrize("text", ["1 2 3 4 1 0\n5 6 7 8 2 1\n", "1 2 3 4 1 0\r\n\r\n5 6 7 8 2 1",
                                  "", "\n\n", " 1\t2 3 4 1 0 \n", "1.5 -2 3e1 4 1 0\n"])
def test_jhu_fast_rows_equal_the_per_line_reader(tmp_path, text):
    path = tmp_path / "1.txt"
    path.write_bytes(text.encode())
    expected = np.array([[float(t) for t in line.split()] for line in text.splitlines()
                         if line.split()], np.float64).reshape(-1, 6)
    np.testing.assert_array_equal(jhu.read_jhu_gt(path), expected)
    assert number_rows(text.encode(), 6) is not None


@pytest.mark.parametrize(("text", "line"), [("1 2 3 4 1 0\n1 2 3 4 1\n", 2),
                                            ("1 2 3 4 1 0\n\n1 2 x 4 1 0\n", 3),
                                            ("1 2 3 4 1 0 7\n", 1)])
def test_jhu_bad_lines_are_named(tmp_path, text, line):
    path = tmp_path / "1.txt"
    path.write_text(text)
    assert number_rows(text.encode(), 6) is None
    with pytest.raises(AnnotationFormatError, match=f"line {line}"):
        jhu.read_jhu_gt(path)


def test_jhu_many_files_in_one_conversion_equal_each_alone():
    datas = [b"1 2 3 4 1 0\n", b"", b"1 2 3 4 1\n", b"5 6 7 8 2 1\r\n9 9 9 9 1 1",
             b"1 2 x 4 1 0\n", b"\n"]
    many = number_rows_many(datas, 6)
    for data, got in zip(datas, many):
        alone = number_rows(data, 6)
        assert (got is None) == (alone is None)
        if got is not None:
            np.testing.assert_array_equal(got, alone)
    assert [m is None for m in many] == [False, False, True, False, True, False]


def test_jhu_bad_file_among_many_is_named(tmp_path):
    root = dataset_info("jhu").synth(tmp_path / "jhu", seed=1)
    bad = sorted((root / "train" / "gt").glob("*.txt"))[-1]
    bad.write_text(bad.read_text() + "1 2 3\n")
    with pytest.raises(AnnotationFormatError, match=bad.name):
        jhu.read_jhu(root)


def test_fdst_video_at_once_equals_one_record_per_frame(tmp_path):
    root = dataset_info("fdst").synth(tmp_path / "fdst", seed=2)
    frames = sorted(root.glob("train_data/1/*.json"))
    (entry,) = json.loads(frames[0].read_text()).values()  # VIA 1 regions: a dict
    frames[0].write_text(_via({str(i): r for i, r in enumerate(entry["regions"])}))
    frames[1].write_text(_via([]))
    frames[2].with_suffix(".jpg").unlink()  # reported missing, as before
    bom = sorted(root.glob("test_data/3/*.json"))[1]  # msgspec refuses it: per file
    bom.write_bytes(b"\xef\xbb\xbf" + bom.read_bytes())
    records = [ImageRecord(split, js.stem, f"{folder}/{js.parent.name}/{js.stem}.jpg",
                           (box[:, :2] + box[:, 2:]) / 2, box, video=js.parent.name)
               for split, folder in fdst.FOLDERS.items()
               for js in sorted((root / folder).glob("*/*.json"))
               for box in [fdst.read_fdst_json(js)]]
    with warnings.catch_warnings(record=True) as w_ref:
        warnings.simplefilter("always")
        ref = VideoDataset(root, records, name="fdst", splits=tuple(fdst.FOLDERS))
    with warnings.catch_warnings(record=True) as w_got:
        warnings.simplefilter("always")
        got = fdst.read_fdst(root)
    for table in ("heads", "frames", "videos"):
        pd.testing.assert_frame_equal(getattr(got, table), getattr(ref, table),
                                      check_exact=True)
    assert got.missing_images == ref.missing_images == [("1", frames[2].stem)]
    assert [str(w.message) for w in w_got] == [str(w.message) for w in w_ref]


def test_cumcount_equals_pandas():
    codes = np.random.default_rng(0).integers(0, 5, 200)
    expected = pd.Series(codes).groupby(codes).cumcount().to_numpy(np.int32)
    np.testing.assert_array_equal(image_dataset._cumcount(codes), expected)
    assert image_dataset._cumcount(np.empty(0, np.int8)).shape == (0,)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_read_small_files_leaves_the_unusual_to_read_bytes(tmp_path):
    (tmp_path / "a.json").write_bytes(b"{}")
    (tmp_path / "empty.json").write_bytes(b"")
    (tmp_path / "dir.json").mkdir()
    os.mkfifo(tmp_path / "fifo.json")
    names = ["a.json", "empty.json", "dir.json", "fifo.json", "missing.json"]
    assert read_small_files(tmp_path, names) == [b"{}", b"", None, None, None]
    assert read_small_files(tmp_path / "nowhere", names) == [None] * 5
