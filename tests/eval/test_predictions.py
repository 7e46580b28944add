from __future__ import annotations

import json

import numpy as np
import pytest

from vscrowd import PredictionFormatError
from vscrowd.eval import Predictions, read_predictions, write_predictions

RECS = [{"video": "test_001", "frame": "0001", "points": [[1.5, 2, 0.9], [3, 4]]},
        {"video": "test_001", "frame": "0002", "points": []},
        {"video": "test_002", "frame": 7, "points": [[5, 6, 0.25]]}]


@pytest.mark.parametrize("name,fmt", [("p.json", None), ("p.jsonl", None), ("pdir", "txt")])
def test_write_read_round_trip(tmp_path, name, fmt):
    p = Predictions.from_records(RECS, method="m")
    path = write_predictions(p, tmp_path / name, format=fmt)
    q = read_predictions(path)
    np.testing.assert_array_equal(q.xy, p.xy)
    np.testing.assert_array_equal(q.score, p.score)
    assert q.frames["frame"].tolist() == ["0001", "0002", "7"]
    if fmt != "txt":
        assert q.method == "m"


def _write(tmp_path, doc) -> str:
    p = tmp_path / "p.json"
    p.write_text(doc if isinstance(doc, str) else json.dumps(doc))
    return p


@pytest.mark.parametrize("doc,needle", [
    ('{"format": "vscrowd-predictions", "predictions": [', "not valid JSON"),
    ("hello", "not valid JSON"),
    ({"format": "coco", "predictions": []}, "expected format 'vscrowd-predictions'"),
    ({"version": 2, "predictions": []}, "expected version 1"),
    ({"predictions": [{"frame": "1", "points": []}]}, "no 'video'"),
    ({"predictions": [{"video": "v", "points": []}]}, "no 'frame'"),
    ({"predictions": [{"video": "v", "frame": "1", "points": [[1]]}]}, "[x, y]"),
    ({"predictions": [{"video": "v", "frame": "1", "points": [[1, 2, 3, 4, 5]]}]}, "[x, y]"),
    ({"predictions": [{"video": "v", "frame": "1", "points": [[1, 2, 3, -4]]}]}, "track ID"),
    ({"predictions": [{"video": "v", "frame": "1", "points": [[1, 2, 3, 4.5]]}]}, "track ID"),
    ({"predictions": [{"video": "v", "frame": "1", "points": [[1, 2, 3, 4], [5, 6, 7, 4]]}]},
     "appears twice"),
    ({"predictions": [{"video": "v", "frame": "1", "points": [[1, 2, 3, 4]]},
                      {"video": "v", "frame": "2", "points": [[1, 2, 3]]}]}, "some frames"),
    ({"predictions": [{"video": "v", "frame": "1", "points": [[1, None]]}]}, "numbers"),
    ('{"predictions": [{"video": "v", "frame": "1", "points": [[NaN, 1]]}]}', "finite"),
    ('{"predictions": [{"video": "v", "frame": "1", "points": [[1, 2, Infinity]]}]}',
     "finite"),
    ({"predictions": [{"video": "v", "frame": "1", "points": []},
                      {"video": "v", "frame": "1", "points": []}]},
     "duplicate record for v/1 (also predictions[0])"),
    # A misspelt key read as a frame without heads (AP 0, no word said).
    ({"predictions": [{"video": "v", "frame": "1", "points": []},
                      {"video": "v", "frame": "2", "Points": [[1, 2, 0.9]]}]},
     "predictions[1]: record has no 'points'"),
])
def test_bad_files(tmp_path, doc, needle):
    with pytest.raises(PredictionFormatError) as err:
        read_predictions(_write(tmp_path, doc))
    assert needle in str(err.value)
    assert "p.json" in str(err.value)


def test_truncated_json_says_where(tmp_path):
    p = _write(tmp_path, '{"predictions": [\n{"video": "v", "frame": "1", "points": [[1, 2')
    with pytest.raises(PredictionFormatError) as err:
        read_predictions(p)
    assert err.value.line == 2


def test_mixed_point_lengths_ok():
    p = Predictions.from_records([{"video": "v", "frame": "1", "points": [[1, 2], [3, 4, .5]]}])
    assert p.score.tolist() == [1.0, 0.5]


def test_jsonl_record_without_points(tmp_path):
    p = tmp_path / "p.jsonl"
    p.write_text('{"video": "v", "frame": "1", "points": []}\n'
                 '{"video": "v", "frame": "2", "pts": [[1, 2]]}\n')
    with pytest.raises(PredictionFormatError, match="record has no 'points'") as err:
        read_predictions(p)
    assert err.value.line == 2


def test_jsonl_bad_line(tmp_path):
    p = tmp_path / "p.jsonl"
    p.write_text('{"video": "v", "frame": "1", "points": []}\n{oops\n')
    with pytest.raises(PredictionFormatError) as err:
        read_predictions(p)
    assert err.value.line == 2


def test_jsonl_header_of_another_version_names_its_line(tmp_path):
    p = tmp_path / "p.jsonl"
    p.write_text('{"format": "vscrowd-predictions", "version": 1}\n'
                 '{"video": "v", "frame": "1", "points": []}\n'
                 '{"format": "vscrowd-predictions", "version": 2}\n')
    with pytest.raises(PredictionFormatError, match="expected version 1, got 2") as err:
        read_predictions(p)
    assert (err.value.line, err.value.field) == (3, "version")


@pytest.mark.parametrize("text, says", [
    ("", "no prediction records (the file is empty)"),
    ("\n\n", "no prediction records (the file is empty)"),
    ('{"format": "vscrowd-predictions", "version": 1}\n',
     "no prediction records (1 header line(s) only)"),
])
def test_jsonl_without_records(tmp_path, text, says):
    p = tmp_path / "p.jsonl"
    p.write_text(text)
    with pytest.raises(PredictionFormatError) as err:
        read_predictions(p)
    assert str(err.value) == f"{p}: {says}"


def test_txt_folder_bad_line(tmp_path):
    d = tmp_path / "preds"
    d.mkdir()
    (d / "test_001.txt").write_text("0001 1 2 0.5 3\n")
    with pytest.raises(PredictionFormatError, match="triples"):
        read_predictions(d)


@pytest.mark.parametrize("token", ["1_0", "\uff13", "nan", "-inf", "0x10"])
def test_txt_folder_numbers_follow_the_text_rules(tmp_path, token):
    # float() reads 1_0 as 10 and a full-width 3 as 3: they were scored as such.
    d = tmp_path / "preds"
    d.mkdir()
    (d / "test_001.txt").write_text(f"0001 1 2 0.5 {token} 4 0.9\n", encoding="utf-8")
    with pytest.raises(PredictionFormatError, match=f"line 1: expected a finite number, "
                                                    f"got '{token}'"):
        read_predictions(d)


def test_to_pandas():
    df = Predictions.from_records(RECS).to_pandas()
    assert df.columns.tolist() == ["video", "frame", "x", "y", "score"]
    assert len(df) == 3
