"""Outputs: written atomically, through a link, never over a FIFO, device or socket (a
rename would replace it with a regular file -- /dev/null included), never over an
input of the same run."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from click.testing import CliRunner
from vscrowd.cli.main import app

from vscrowd import synthesize
from vscrowd._io import atomic_write_text, refuse_inputs
from vscrowd.errors import OutputError


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")
def test_a_fifo_is_not_replaced(tmp_path):
    fifo = tmp_path / "out.json"
    os.mkfifo(fifo)
    with pytest.raises(OutputError, match="FIFO"):
        atomic_write_text(fifo, "{}")
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]  # no temporary


def test_a_link_is_written_through(tmp_path):
    target = tmp_path / "run3.json"
    target.write_text("old")
    link = tmp_path / "latest.json"
    link.symlink_to(target.name)
    atomic_write_text(link, "new")
    assert link.is_symlink() and target.read_text() == "new"


def test_a_link_to_a_device_is_refused(tmp_path):
    link = tmp_path / "null.json"
    link.symlink_to("/dev/null")
    with pytest.raises(OutputError, match="character device"):
        atomic_write_text(link, "{}")
    assert link.is_symlink()


def test_refuse_inputs(tmp_path):
    preds = tmp_path / "p.json"
    preds.write_text("{}")
    (tmp_path / "root").mkdir()
    (tmp_path / "alias.json").symlink_to(preds)
    with pytest.raises(OutputError, match="is the input"):
        refuse_inputs(tmp_path / "alias.json", preds, option="--json")
    with pytest.raises(OutputError, match="is inside the input"):
        refuse_inputs(tmp_path / "root" / "sub" / "r.json", preds, tmp_path / "root")
    refuse_inputs(tmp_path / "r.json", preds, tmp_path / "root", None)  # elsewhere: fine


def test_eval_json_never_replaces_its_inputs(tmp_path):
    root = synthesize(tmp_path / "data", videos=2, frames=2, size=(64, 48), seed=1,
                      images=False)
    preds = tmp_path / "p.json"
    preds.write_text('{"predictions": [{"video": "test_001", "frame": "0001", '
                     '"points": [[10, 10, 0.9]]}]}')
    before = preds.read_text()
    ann = sorted((root / "annotations").glob("*.txt"))[0]
    ann_before = ann.read_text()
    for out in (preds, ann, root / "results.json"):
        res = CliRunner().invoke(app, ["eval", str(preds), "--data", str(root),
                                       "--json", str(out)])
        assert res.exit_code == 2, res.output
        assert "--json" in res.stderr and "input" in res.stderr
    assert preds.read_text() == before and ann.read_text() == ann_before
    assert not (root / "results.json").exists()
    res = CliRunner().invoke(app, ["eval", str(preds), "--data", str(root),
                                   "--plot-dir", str(root / "plots")])
    assert res.exit_code == 2 and not (root / "plots").exists()
    ok = CliRunner().invoke(app, ["eval", str(preds), "--data", str(root),
                                  "--json", str(tmp_path / "r.json")])
    assert ok.exit_code == 0, ok.output
    assert Path(tmp_path / "r.json").read_text().startswith("{")
