"""The fast paths of the native readers (msgspec JSON, vectorised text) give exactly
what the general readers give, and hand anything unusual to them (whose errors name the
file, line and key)."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from vscrowd.datasets import dataset_info, fdst, jhu, nwpu
from vscrowd.datasets._annotation_text import number_rows, number_rows_many
from vscrowd.errors import AnnotationFormatError


@pytest.mark.parametrize("doc", [
    {"img_id": "1.jpg", "human_num": 2, "points": [[1, 2.5], [3e2, 4]],
     "boxes": [[0, 1, 2, 3], [1.5, 2, 3, 4]]},
    {"points": []}, {"points": [[1, 2]], "human_num": 1.0},
    {"points": [[1, 2]], "human_num": None}, {"points": [[True, 2]]},
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
