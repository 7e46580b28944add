"""The batched paths of the native readers give, bit for bit, what reading each file
alone gives: JHU-Crowd++'s published-form lines converted as Arrow columns
(vscrowd/datasets/_annotation_text.py), NWPU-Crowd's files read and decoded together
(vscrowd/datasets/nwpu.py), FDST's frame names sorted as text, image sizes from a
header read in blocks (vscrowd/datasets/layout.py); anything else goes the old way."""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest

from vscrowd.datasets import fdst, nwpu
from vscrowd.datasets._annotation_text import _general_rows, _strict_body, number_rows_many
from vscrowd.datasets.layout import jpeg_size
from vscrowd.errors import AnnotationFormatError

_EDGE = ["0", "-0.0", "0.0", "1", "-1", "1E+2", "1e-2", "2.5e+300", "-7.25E-310",
         "4.9e-324", "2.4703282292062328e-324", "1.7976931348623157e308",
         "9007199254740993", "12345678901234567890", "123456789012345678901234567890",
         "1.00000000000000011102230246251565404236316680908203125",
         "1.00000000000000011102230246251565404236316680908203124999",
         "0.1", "0.30000000000000004", "1527.52", "-3.5e-5", "1e-400", "5e-324"]


def _tokens(n: int, seed: int = 0) -> list[str]:
    """Numbers of many shapes: shortest reprs of random doubles, long decimal
    mantissas, exponents from -330 to 310, integers of up to 25 digits."""
    rng = np.random.default_rng(seed)
    bits = rng.integers(0, 2**63, n, dtype=np.uint64) | (rng.integers(0, 2, n, np.uint64) << 63)
    doubles = [repr(float(v)) for v in bits.view(np.float64) if np.isfinite(v)]
    longs = ["".join(map(str, rng.integers(0, 10, rng.integers(17, 40)))).lstrip("0") or "0"
             for _ in range(n)]
    out = [*_EDGE, *(d.replace("inf", "1") for d in doubles)]
    for i, digits in enumerate(longs):
        point = int(rng.integers(1, len(digits) + 1))
        num = f"{digits[:point]}.{digits[point:] or '0'}"
        out.append(("-" if i % 3 == 0 else "") + num
                   + (f"e{int(rng.integers(-330, 310))}" if i % 2 else ""))
        out.append(digits[: int(rng.integers(1, 26))].lstrip("0") or "0")
    return out


def test_jhu_columns_are_the_general_paths_and_floats():
    # Thousands of numbers of many shapes, six to a line: the published-form path
    # (Arrow, six columns) against the general one (one number per line) and float().
    tokens = [*_tokens(3000), "-0", "+1", "1.", ".5", "-.5e-3", "1e400", "-1E400", "00012"]
    tokens += ["0"] * (-len(tokens) % 6)
    text = "".join(" ".join(tokens[i:i + 6]) + "\n" for i in range(0, len(tokens), 6))
    data = text.encode()
    assert _strict_body(data, 6) is not None
    got, general = number_rows_many([data], 6)[0], _general_rows([data], 6)[0]
    assert got.tobytes() == general.tobytes()  # bit for bit: -0, subnormals, rounding
    assert got.ravel().tobytes() == np.array([float(t) for t in tokens]).tobytes()


def test_nwpu_minus_zero_as_read_alone(tmp_path):
    # msgspec reads the integer -0 as 0.0 and -0.0 as -0.0, together as alone.
    docs = {"1": '{"points": [[-0, 1]]}', "2": '{"points": [[-0.0, 1]]}',
            "3": '{"points": [[2, -0e3]]}', "4": '{"points": [[2, 3]]}'}
    for name, text in docs.items():
        _write(tmp_path, name, text)
    got = nwpu._read_jsons(tmp_path, list(docs))
    for name, (pts, _) in zip(docs, got):
        expected, _ = nwpu.read_nwpu_json(tmp_path / f"{name}.json")
        assert pts.tobytes() == expected.tobytes()
    assert not np.signbit(got[0][0][0, 0])  # the typed path's +0.0
    assert np.signbit(got[1][0][0, 0]) and np.signbit(got[2][0][0, 1])


def _write(folder, name, text):
    (folder / f"{name}.json").write_text(text)


def test_nwpu_files_read_together_equal_each_alone(tmp_path):
    files = {
        "1": {"img_id": "1.jpg", "human_num": 2, "points": [[1, 2.5], [3e2, 4]],
              "boxes": [[0, 1, 2, 3], [1.5, 2, 3, 4]]},
        "2": {"points": []}, "3": {"points": [[1, 2]], "human_num": 5},  # warns
        "4": {"points": [[1, 2]], "boxes": []},  # no boxes for a point: dropped
        "5": {"points": [[1, 2]], "boxes": [[1, 2, 3, 4], [5, 6, 7, 8]]},  # boxes dropped
        "6": {"points": [[-1.5, 2]], "boxes": [[1, 2, 3, 4]], "human_num": None},
    }
    for name, doc in files.items():
        _write(tmp_path, name, json.dumps(doc))
    with warnings.catch_warnings(record=True) as w_got:
        warnings.simplefilter("always")
        got = nwpu._read_jsons(tmp_path, list(files))
    with warnings.catch_warnings(record=True) as w_ref:
        warnings.simplefilter("always")
        ref = [nwpu.read_nwpu_json(tmp_path / f"{name}.json") for name in files]
    assert [str(w.message) for w in w_got] == [str(w.message) for w in w_ref]
    assert len(w_ref) == 4
    for (pts, boxes), (ref_pts, ref_boxes) in zip(got, ref):
        assert pts.tobytes() == ref_pts.tobytes() and pts.shape == ref_pts.shape
        assert (boxes is None) == (ref_boxes is None)
        if boxes is not None:
            assert boxes.tobytes() == ref_boxes.tobytes() and boxes.shape == ref_boxes.shape


@pytest.mark.parametrize("value", ["true", '"1"', "null", "NaN", "1e400"])
def test_nwpu_a_value_that_is_not_a_finite_number_is_an_error_both_ways(tmp_path, value):
    # (NumPy alone turned true and "1" into numbers on the general path.)
    _write(tmp_path, "1", f'{{"points": [[1, 2], [{value}, 2]]}}')
    for read in (lambda: nwpu._read_jsons(tmp_path, ["1"]),
                 lambda: nwpu.read_nwpu_json(tmp_path / "1.json")):
        with pytest.raises(AnnotationFormatError, match=r"1\.json, points\[1\]"):
            read()


def test_nwpu_first_bad_file_is_named_after_earlier_warnings(tmp_path):
    _write(tmp_path, "1", '{"points": [[1, 2]], "human_num": 3}')
    _write(tmp_path, "2", '{"points": [[1]]}')
    with pytest.warns(UserWarning, match="human_num 3"), \
            pytest.raises(AnnotationFormatError, match="2.json") as err:
        nwpu._read_jsons(tmp_path, ["1", "2", "3"])  # 3.json is missing: not reached
    assert "points" in str(err.value)
    with pytest.raises(AnnotationFormatError, match="3.json"):
        nwpu._read_jsons(tmp_path, ["1", "3"])


_JHU_TEXTS = [b"1 2 3 4 1 0\n5 6 7 8 2 1\n", b"1 2 3 4 1 0", b"", b"\n", b"1.5 -2 3e1 4 1 0\n",
              b"1  2 3 4 1 0\n", b"1 2 3 4 1 0 \n", b" 1 2 3 4 1 0\n", b"1 2 3 4 1\n",
              b"1 2 3 4 1 0\r\n", b"\xef\xbb\xbf1 2 3 4 1 0\n", b"1 2 3 4 1 0\n\n",
              b"1 2 x 4 1 0\n", b"1 2 3 4 1 .\n", b"1\t2 3 4 1 0\n", b"1 2 3 4 1 -0\n",
              b"1 2 3 4 1 1e400\n", b"1 2 3 4 1 +.5\n", b"1 2 3 4 1 1.\n"]


@pytest.mark.parametrize("text", _JHU_TEXTS)
def test_jhu_published_form_equals_the_general_check(text):
    alone, general = number_rows_many([text], 6)[0], _general_rows([text], 6)[0]
    assert (alone is None) == (general is None)
    if general is not None:
        assert alone.tobytes() == general.tobytes() and alone.shape == general.shape


def test_jhu_published_form_is_recognised():
    assert _strict_body(b"1 2 3 4 1 0", 6) == (b"1 2 3 4 1 0\n", 1)
    assert _strict_body(b"", 6) == (b"", 0)
    for text in (b"1 2 3 4 1\n", b"1 2 3 4 1 0\r\n", b"1\t2 3 4 1 0\n", b"\n",
                 b"1 2 3 4 1 0\n\n", b"1 2 x 4 1 0\n"):
        assert _strict_body(text, 6) is None


def test_jhu_many_files_mixed_forms_equal_each_alone():
    many = number_rows_many(_JHU_TEXTS, 6)
    for text, got in zip(_JHU_TEXTS, many):
        general = _general_rows([text], 6)[0]
        assert (got is None) == (general is None), text
        if got is not None:
            assert got.tobytes() == general.tobytes()


def test_fdst_frame_names_sort_numerically():
    names = {"010.json", "002.json", "001.json", "x.jpg", "100.json"}
    assert fdst._frame_stems(names) == ["001", "002", "010", "100"]
    mixed = {"10.json", "9.json", "b.json", "a.json", "011.json"}
    assert fdst._frame_stems(mixed) == sorted((n[:-5] for n in mixed), key=fdst._num)
    assert fdst._frame_stems({"٣.json", "2.json"}) == ["2", "٣"]


@pytest.mark.parametrize("pad", [*range(3900, 3940), 9000])  # SOF across the 4 KB read
def test_jpeg_frame_header_across_the_first_read(tmp_path, pad):
    from PIL import Image

    path = tmp_path / "a.jpg"
    Image.new("RGB", (33, 17)).save(path, format="JPEG", exif=b"Exif\x00\x00" + b"\x00" * pad)
    assert jpeg_size(path) == (33, 17)
    data = path.read_bytes()
    sof = max(data.find(b"\xff\xc0"), data.find(b"\xff\xc2"))
    for cut in (sof + 2, sof + 4, sof + 8):  # the frame header cut short: no size
        path.write_bytes(data[:cut])
        assert jpeg_size(path) is None
