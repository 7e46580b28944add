from __future__ import annotations

import warnings

import numpy as np
import pytest

from vscrowd import AnnotationFormatError, VSCrowdWarning, parse_annotations, read_annotations
from vscrowd.datasets.annotations import format_annotations, write_annotations

GOOD = (
    "0001 68 20.44 305.76 51.62 332.67 34.97 317.8 52 263.33 49.63 276.59 65.25 268.29 55.15\n"
    "0002\n"
    "0003 7 1e1 2 30 40.125 15 20\n"
)


def test_parse_columns_and_values():
    ann = parse_annotations(GOOD, video="train_001")
    h = ann.heads
    assert list(h.columns) == ["video", "frame", "frame_index", "head_id", "x1", "y1", "x2",
                               "y2", "x", "y"]
    assert h["frame"].astype(str).tolist() == ["0001", "0001", "0003"]
    assert h["frame_index"].tolist() == [0, 0, 2]
    assert h["head_id"].tolist() == [68, 52, 7]
    assert h.loc[0, ["x1", "y1", "x2", "y2", "x", "y"]].tolist() == [20.44, 305.76, 51.62,
                                                                       332.67, 34.97, 317.8]
    assert h.loc[2, "x1"] == 10.0
    fr = ann.frames
    assert fr["frame"].tolist() == ["0001", "0002", "0003"]
    assert fr["n_heads"].tolist() == [2, 0, 1]


def test_round_trip_identical(tmp_path):
    ann = parse_annotations(GOOD, video="v")
    p = write_annotations(ann, tmp_path / "v.txt")
    again = read_annotations(p)
    np.testing.assert_array_equal(again.heads[["x1", "y1", "x2", "y2", "x", "y"]].to_numpy(),
                                  ann.heads[["x1", "y1", "x2", "y2", "x", "y"]].to_numpy())
    assert again.frames["frame"].tolist() == ann.frames["frame"].tolist()
    assert format_annotations(again) == format_annotations(ann)


def test_round_trip_random_floats(tmp_path):
    rng = np.random.default_rng(0)
    lines = []
    for f in range(20):
        parts = [f"{f + 1:04d}"]
        for hid in range(int(rng.integers(0, 6))):
            x1, y1 = rng.uniform(0, 1000, 2)
            w, h = rng.uniform(0, 50, 2)
            x1, y1, w, h = float(x1), float(y1), float(w), float(h)
            parts += [str(hid), repr(x1), repr(y1), repr(x1 + w), repr(y1 + h),
                      repr(x1 + w / 2), repr(y1 + h / 3)]
        lines.append(" ".join(parts))
    ann = parse_annotations("\n".join(lines), video="v")
    back = parse_annotations(format_annotations(ann), video="v")
    assert back.heads.equals(ann.heads)


def test_synthetic_round_trip(synth_root, tmp_path):
    for f in sorted((synth_root / "annotations").glob("*.txt")):
        ann = read_annotations(f)
        out = write_annotations(ann, tmp_path / f.name)
        assert read_annotations(out).heads.equals(ann.heads)


def test_windows_line_endings_and_trailing_space():
    ann = parse_annotations(GOOD.replace("\n", " \r\n"), video="v")
    assert len(ann) == 3 and len(ann.frames) == 3


@pytest.mark.parametrize("text,line,needle", [
    ("0001 1 1 2 3 4 2 3 5 6\n", 1, "token 9"),  # wrong number of fields
    ("0001 1 1 2 3 4 2 3\n0002 1 1 x 3 4 2 3\n", 2, "token 4 (y1"),  # non-numeric
    ("0001 1 1 2 nan 4 2 3\n", 1, "finite"),
    ("0001 1 1 2 3 inf 2 3\n", 1, "finite"),
    ("0001 1 5 2 3 4 4 3\n", 1, "x2 < x1"),
    ("0001 1 1 5 3 4 2 4.5\n", 1, "y2 < y1"),
    ("0001 1 1 1 3 3 2 2 1 4 4 6 6 5 5\n", 1, "HeadID 1 appears twice"),
    ("0001\n0002 1 1 1 3 3 2 2\n0001\n", 3, "FrameID '0001' already used on line 1"),
    ("0001 1.5 1 1 3 3 2 2\n", 1, "integer HeadID"),
])
def test_bad_input_names_line_and_token(text, line, needle, tmp_path):
    p = tmp_path / "train_009.txt"
    p.write_text(text)
    with pytest.raises(AnnotationFormatError) as err:
        read_annotations(p)
    assert err.value.line == line
    assert needle in str(err.value)
    assert "train_009.txt" in str(err.value)


def test_empty_file(tmp_path):
    p = tmp_path / "test_001.txt"
    p.write_text("\n\n")
    with pytest.raises(AnnotationFormatError, match="empty"):
        read_annotations(p)


def test_center_outside_box_warns_or_fails_in_strict():
    text = "0001 1 0 0 10 10 20 5\n0002 2 0 0 10 10 5 5\n"
    with pytest.warns(VSCrowdWarning, match="1 head center"):
        ann = parse_annotations(text, video="v")
    assert len(ann) == 2
    with pytest.raises(AnnotationFormatError, match="outside"):
        parse_annotations(text, video="v", strict=True)


def test_clean_file_gives_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        parse_annotations(GOOD, video="v")


def test_missing_file(tmp_path):
    with pytest.raises(AnnotationFormatError, match="cannot read"):
        read_annotations(tmp_path / "nope.txt")


def test_irregular_whitespace_takes_the_general_token_counter():
    text = "0001\t68  20.44 305.76 51.62 332.67\t34.97 317.8\n\n0002   \n"
    ann = parse_annotations(text, video="v")
    assert ann.heads["head_id"].tolist() == [68]
    assert ann.frames["n_heads"].tolist() == [1, 0]
    with pytest.raises(AnnotationFormatError, match="got 8 values.*token 9"):
        parse_annotations("0001  1 1 2 3 4 2\t3 9\n", video="v")


def test_read_many_keeps_order(tmp_path):
    from vscrowd.datasets.annotations import read_many

    for name, text in (("b", "0001 1 0 0 2 2 1 1\n"), ("a", "0001\n0002 2 0 0 2 2 1 1\n")):
        (tmp_path / f"{name}.txt").write_text(text)
    ann = read_many([tmp_path / "b.txt", tmp_path / "a.txt"])
    assert ann.videos == ["b", "a"]
    assert ann.heads["video"].astype(str).tolist() == ["b", "a"]
    assert ann.heads["frame_index"].tolist() == [0, 1]


@pytest.mark.parametrize("byte", [b"\x0b", b"\x0c", b"\x1c", b"\x1d", b"\x1e", b"\xc3\xa9"])
def test_whole_file_passes_refuse_what_str_splits_lines_at(byte):
    """Bytes str.splitlines() also breaks at (and non-ASCII) send a file to the
    token-by-token readers, which split as Python's str does; plain files pass with a
    byte-order mark dropped and line ends made \\n."""
    from vscrowd.datasets._annotation_text import plain_ascii

    line = b"000001.jpg 640 360 1 2 3 4 2 3 1"
    assert plain_ascii(line + byte + line) is None
    assert plain_ascii(b"\xef\xbb\xbf" + line + b"\r\n" + line + b"\r") == \
        line + b"\n" + line + b"\n"
