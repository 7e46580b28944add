"""``verify`` of a registered dataset reads each present image's own header: a
zero-byte or foreign file, or a header claiming more pixels than ``read_image``
decodes, fails a named check (they passed as "complete": the tables keep a size
from one header per video, or none)."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest
from click.testing import CliRunner
from vscrowd.cli.main import app

import vscrowd
from vscrowd.acquire.dataset_checks import verify_dataset
from vscrowd.datasets import dataset_info

NAMES = ["nwpu", "fdst", "qnrf"]


@pytest.fixture(scope="module")
def roots(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("checks")
    return {n: dataset_info(n).synth(base / n, seed=4) for n in NAMES}


def _check(report, prefix: str):
    return next(c for c in report.checks if c.name.startswith(prefix))


def _giant_jpeg(path: Path) -> None:
    """A JPEG whose frame header says 65,000 x 65,000 (no pixel data follows)."""
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, 65000, 65000, 1) + b"\x01\x11\x00"
    path.write_bytes(b"\xff\xd8" + sof + b"\xff\xd9")


@pytest.mark.parametrize("name", NAMES)
def test_a_copy_as_written_passes(roots, name):
    report = verify_dataset(roots[name], name)
    assert report.complete
    assert _check(report, "every image header is readable").passed
    assert _check(report, "images at most").passed


@pytest.mark.parametrize("name", NAMES)
def test_a_zero_byte_image_fails(roots, name, tmp_path):
    root = Path(shutil.copytree(roots[name], tmp_path / name))
    # The last frame: for FDST not its video's first, whose header sizes the video.
    rel = vscrowd.open(root, dataset=name, cache=False).frames["path"].iloc[-1]
    (root / rel).write_bytes(b"")
    report = verify_dataset(root, name)
    check = _check(report, "every image header is readable")
    assert not report.complete and not check.passed
    assert check.found == "1 unreadable" and check.examples == (rel,)


@pytest.mark.parametrize("name", NAMES)
def test_a_header_past_the_decode_limit_fails(roots, name, tmp_path):
    root = Path(shutil.copytree(roots[name], tmp_path / name))
    rel = vscrowd.open(root, dataset=name, cache=False).frames["path"].iloc[-1]
    _giant_jpeg(root / rel)
    report = verify_dataset(root, name)
    check = _check(report, "images at most 250,000,000 pixels")
    assert not report.complete and not check.passed
    assert check.examples == (f"{rel}: 65000x65000",)
    assert _check(report, "every image header is readable").passed


def test_the_cli_names_the_image(roots, tmp_path):
    root = Path(shutil.copytree(roots["nwpu"], tmp_path / "nwpu"))
    rel = vscrowd.open(root, cache=False).frames["path"].iloc[0]
    (root / rel).write_bytes(b"not an image")
    res = CliRunner().invoke(app, ["verify", str(root)])
    assert res.exit_code != 0 and "every image header is readable" in res.output
    assert rel in res.output
