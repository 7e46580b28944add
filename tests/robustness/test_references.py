"""Issue 31, item 7: the reference of ``verify``/``download`` is chosen, not smuggled in
with the data; a synth.json's counts are bounded and validated."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from vscrowd.cli.main import app

from vscrowd import synthesize


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return synthesize(tmp_path_factory.mktemp("ref") / "data", videos=3, frames=3,
                      size=(64, 48), seed=7, images=False)


def _cli(*argv):
    res = CliRunner().invoke(app, [str(a) for a in argv])
    assert "Traceback" not in res.output, res.output
    return res


@pytest.mark.parametrize("value", [10**9, 1e9, "3", -1, True])
def test_a_synth_json_with_absurd_counts_is_one_clear_line(data, tmp_path, value):
    import shutil

    root = tmp_path / "r"
    shutil.copytree(data, root)
    doc = json.loads((root / "synth.json").read_text())
    doc["config"]["videos"] = value
    (root / "synth.json").write_text(json.dumps(doc))
    res = _cli("verify", root, "--reference", "synth")
    assert res.exit_code == 2, res.output
    assert "synth.json" in res.stderr and "config.videos" in res.stderr


def test_a_downloaded_synth_json_is_not_used_unless_asked(data, tmp_path):
    src = tmp_path / "S"
    src.mkdir()
    with zipfile.ZipFile(src / "incomplete.zip", "w") as zf:  # one video is missing
        for p in sorted((data / "annotations").glob("*.txt"))[1:]:
            zf.write(p, f"annotations/{p.name}")
        doc = json.loads((data / "synth.json").read_text())
        doc["config"]["videos"] = 2  # a synth.json that matches the incomplete copy
        zf.writestr("synth.json", json.dumps(doc))
    res = _cli("download", tmp_path / "R", "--from", src, "--parts", "annotations")
    assert res.exit_code == 1, res.output
    assert res.stdout.splitlines()[-1].endswith("checked against the paper")
    first = next(ln for ln in res.stdout.splitlines() if ln.startswith("checked against"))
    assert first == f"checked against the paper: {tmp_path / 'R'}"
    again = _cli("verify", tmp_path / "R")  # auto: the root holds downloaded files
    assert again.exit_code == 1 and again.stdout.startswith("checked against the paper")
    asked = _cli("verify", tmp_path / "R", "--reference", "synth")
    assert asked.stdout.startswith("checked against synth.json")


def test_a_root_written_by_synth_is_checked_against_its_synth_json(data):
    res = _cli("verify", data, "--reference", "auto")
    assert res.stdout.startswith("checked against synth.json"), res.output
