from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vscrowd import AnnotationFormatError, read_annotations
from vscrowd.datasets.annotations import write_annotations
from vscrowd.datasets.sensecrowd import read_sensecrowd_labels

LINES = ("0001.jpg 1280 720 10 20 30 50 20 30 7 100 100 120 130 110 110 8\n"
         "0002.jpg 1280 720\n"
         "0003.jpg 1280 720 11 20 31 50 21 30 7\n")


def test_reads_and_converts_to_the_official_format(tmp_path):
    p = tmp_path / "test_005.txt"
    p.write_text(LINES)
    ann = read_sensecrowd_labels(p)
    assert ann.videos == ["test_005"]
    assert ann.frames["frame"].tolist() == ["0001", "0002", "0003"]
    assert ann.frames["n_heads"].tolist() == [2, 0, 1]
    assert ann.frames["width"].tolist() == [1280] * 3
    assert ann.heads["head_id"].tolist() == [7, 8, 7]
    np.testing.assert_array_equal(ann.heads[["x1", "y1", "x2", "y2", "x", "y"]].to_numpy()[1],
                                  [100, 100, 120, 130, 110, 110])
    out = write_annotations(ann, tmp_path / "annotations" / "test_005.txt")
    assert out.read_text().splitlines()[0] == "0001 7 10 20 30 50 20 30 8 100 100 120 130 110 110"
    assert read_annotations(out).heads.equals(ann.heads)


@pytest.mark.parametrize("text,line,needle", [
    ("0001.jpg 1280 720 10 20 30 50 20 30\n", 1, "incomplete head starts at token 4"),
    ("0001.jpg 1280\n", 1, "<file> <width> <height>"),
    ("0001.jpg wide 720\n", 1, "integer width and height"),
    ("0001.jpg 1280 720 10 20 5 50 20 30 7\n", 1, "token 6 (x2, head 1)"),
    ("0001.jpg 1280 720 10 20 30 50 20 30 7 10 20 30 50 20 30 7\n", 1, "token 17 (id, head 2)"),
    ("0001.jpg 1 1\n\n0001.jpg 1 1\n", 3, "FrameID '0001' already used"),
    ("0001.jpg 9 9 1 2 3 4 2 3 5\n0002.jpg 9 9 1 2 3 x 2 3 5\n", 2, "token 7 (y2, head 1)"),
])
def test_errors_name_positions_in_this_format(tmp_path, text, line, needle):
    p = tmp_path / "v.txt"
    p.write_text(text)
    with pytest.raises(AnnotationFormatError) as err:
        read_sensecrowd_labels(p)
    assert err.value.line == line and needle in str(err.value)


_NUM = st.sampled_from(["{:g}", "{:.3f}", "{:e}", "{:.0f}", "+{:g}", "{:.1f}"])


@st.composite
def _label_text(draw):
    """Label lines in many spellings: separators, line endings, blank lines, number
    formats (heads inside their boxes, distinct IDs)."""
    sep, end = draw(st.sampled_from([" ", "  ", "\t", " \t"])), draw(
        st.sampled_from(["\n", "\r\n", "\r"]))
    lines = []
    for k in range(draw(st.integers(1, 4))):
        heads = []
        for hid in range(draw(st.integers(0, 3))):
            x1, y1 = draw(st.floats(0, 500)), draw(st.floats(0, 500))
            w, h = draw(st.floats(0, 50)), draw(st.floats(0, 50))
            vals = [x1, y1, x1 + w, y1 + h, x1 + w / 2, y1 + h / 2]
            heads += [draw(_NUM).format(v) for v in vals] + [str(hid + 1)]
        lines.append(sep.join([f"{k + 1:06d}.jpg", "640", "360", *heads]))
        if draw(st.booleans()):
            lines.append(draw(st.sampled_from(["", " "])))
    return end.join(lines) + draw(st.sampled_from(["", end]))


@settings(max_examples=60, deadline=None)
@given(text=_label_text())
def test_the_whole_file_pass_reads_what_the_token_pass_reads(tmp_path_factory, text):
    import warnings

    from vscrowd.datasets.sensecrowd import _lines, _read_slow, read_sensecrowd_many

    path = tmp_path_factory.mktemp("s") / "v.txt"
    path.write_bytes(text.encode())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # rounding may put a centre just outside its box
        try:
            slow = _read_slow(text, path, "v", False)
        except AnnotationFormatError as exc:
            with pytest.raises(AnnotationFormatError) as got:
                read_sensecrowd_many([path], ["v"])
            assert str(got.value) == str(exc)
            return
        (fast, files, sizes), = read_sensecrowd_many([path], ["v"])
    assert _lines(text.encode()) is not None  # the whole-file pass did read it
    assert (fast.frames, files, sizes) == (slow[0].frames, slow[1], slow[2])
    np.testing.assert_array_equal(fast.heads_per_line, slow[0].heads_per_line)
    np.testing.assert_array_equal(fast.table, slow[0].table)
