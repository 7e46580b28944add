"""``vscrowd verify``: complete and damaged synthetic copies."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from vscrowd.cli.main import app

from vscrowd import DatasetError, synthesize
from vscrowd.acquire.verify import PAPER, verify


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    return synthesize(tmp_path_factory.mktemp("verify") / "data", videos=4, frames=5,
                      size=(96, 64), seed=11)


@pytest.fixture
def copy(pristine, tmp_path) -> Path:
    return Path(shutil.copytree(pristine, tmp_path / "data"))


def _failed(report) -> set[str]:
    return {c.name for c in report.checks if not c.passed}


def test_complete_copy_passes(copy):
    report = verify(copy)
    assert report.complete and report.reference == "synth.json"
    counts = {c.name: c.found for c in report.checks}
    assert counts["videos"] == "4" and counts["frames"] == "20"
    res = CliRunner().invoke(app, ["verify", str(copy), "--json", "-"])
    assert res.exit_code == 0 and json.loads(res.stdout)["complete"] is True


@pytest.mark.parametrize(("damage", "check"), [
    (lambda r: (r / "videos/test_001/0003.jpg").unlink(), "every annotated frame has an image"),
    (lambda r: (r / "videos/test_001/0003.jpg").write_bytes(b""), "every image is readable"),
    (lambda r: (r / "annotations/train_002.txt").unlink(), "videos"),
    (lambda r: (r / "annotations/train_001.txt").write_text("0001 1 2"),
     "annotation files parse"),
    (lambda r: _resize(r / "videos/test_001/0002.jpg", (128, 64)), "one image size per video"),
    (lambda r: _append_line(r / "annotations/test_001.txt", "0006 1 500 500 510 510 505 505"),
     "head centers inside their image"),
    (lambda r: _append_line(r / "annotations/test_001.txt", "1"), "no frame annotated twice"),
    (lambda r: (r / "test.txt").write_text("test_001\ntest_404\n"), "split lists consistent"),
])
def test_damaged_copies_fail_the_right_check(copy, damage, check):
    damage(copy)
    report = verify(copy)
    assert check in _failed(report), report.format()
    res = CliRunner().invoke(app, ["verify", str(copy)])
    assert res.exit_code == 1 and "NOT complete" in res.stdout and "FAIL" in res.stdout


def _resize(path: Path, size) -> None:
    import cv2
    import numpy as np

    cv2.imwrite(str(path), np.zeros((size[1], size[0], 3), np.uint8))


def _append_line(path: Path, line: str) -> None:
    path.write_text(path.read_text() + line + "\n")


def test_against_the_paper_and_its_readme_note(copy):
    report = verify(copy, reference="paper")
    assert not report.complete
    videos = next(c for c in report.checks if c.name == "videos")
    assert videos.expected == f"{PAPER['videos']:,}" and not videos.passed
    assert any("479" in n for n in report.notes)
    assert "497" in report.format()


def test_not_a_dataset_is_bad_input(tmp_path):
    with pytest.raises(DatasetError, match="no annotations folder"):
        verify(tmp_path)
    res = CliRunner().invoke(app, ["verify", str(tmp_path)])
    assert res.exit_code == 2 and res.stderr.startswith("error:")
