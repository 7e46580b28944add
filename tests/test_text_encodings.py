"""Text saved as UTF-16 or UTF-32 (what a Windows editor calls "Unicode") is refused as
such, naming the file, wherever vscrowd reads text: annotations, prediction files,
split lists. Read as UTF-8 it failed on a token full of NUL bytes, far from the cause."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner
from vscrowd.cli.main import app

from vscrowd import synthesize
from vscrowd._text import refuse_utf16
from vscrowd.datasets.annotations import parse_annotations
from vscrowd.errors import AnnotationFormatError, DatasetError, PredictionFormatError
from vscrowd.eval import read_predictions

TEXT = "0001 1 10 20 30 40 50 60\n0002 0\n"
ENCODINGS = [("utf-16", "UTF-16"), ("utf-16-le", "UTF-16 or UTF-32 (a NUL byte)"),
             ("utf-16-be", "UTF-16 or UTF-32 (a NUL byte)"), ("utf-32", "UTF-32"),
             ("utf-32-be", "UTF-16 or UTF-32 (a NUL byte)")]


@pytest.mark.parametrize("encoding, name", ENCODINGS)
def test_refused_by_its_mark_or_a_nul(encoding, name):
    with pytest.raises(DatasetError) as err:
        refuse_utf16(TEXT.encode(encoding), "a.txt", DatasetError)
    assert str(err.value) == f"a.txt, line 1: expected UTF-8 text, got {name} (save the " \
                             "file as UTF-8)"


@pytest.mark.parametrize("data", [TEXT.encode(), b"\xef\xbb\xbf" + TEXT.encode(), b"",
                                  "é\n".encode(), b"0001 0\n\x00 later lines are not looked at"])
def test_utf8_passes(data):
    refuse_utf16(data, "a.txt", DatasetError)


@pytest.mark.parametrize("encoding, name", ENCODINGS[:2])
def test_a_vscrowd_annotation_file(encoding, name):
    says = re.escape(f"line 1: expected UTF-8 text, got {name}")
    with pytest.raises(AnnotationFormatError, match=says):
        parse_annotations(TEXT.encode(encoding), video="test_001", path="test_001.txt")


def test_the_cli_names_the_annotation_file(tmp_path):
    root = synthesize(tmp_path / "d", videos=2, frames=3, images=False)
    ann = sorted((root / "annotations").glob("*.txt"))[0]
    ann.write_text(ann.read_text(encoding="utf-8"), encoding="utf-16")
    res = CliRunner().invoke(app, ["stats", str(root), "--no-cache"])
    assert res.exit_code == 2
    assert res.stderr.strip() == f"error: {ann}, line 1: expected UTF-8 text, got UTF-16 " \
                                 "(save the file as UTF-8)"


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_a_prediction_file(tmp_path, suffix):
    p = tmp_path / f"p{suffix}"
    p.write_text('{"video": "v", "frame": "1", "points": []}\n' if suffix == ".jsonl"
                 else '{"predictions": []}', encoding="utf-16")
    with pytest.raises(PredictionFormatError, match="expected UTF-8 text, got UTF-16"):
        read_predictions(p)


def test_a_split_list(tmp_path):
    import vscrowd

    root = tmp_path / "nwpu"
    (root / "jsons").mkdir(parents=True)
    (root / "train.txt").write_text("1000 1 2\n", encoding="utf-16")
    with pytest.raises(AnnotationFormatError, match=r"train\.txt, line 1: expected UTF-8 "
                                                    "text, got UTF-16"):
        vscrowd.open(root, dataset="nwpu", cache=False)
