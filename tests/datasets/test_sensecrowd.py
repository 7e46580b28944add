from __future__ import annotations

import numpy as np
import pytest

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
