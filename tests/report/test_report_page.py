"""The report page loaded in headless Chromium, and the report folder's rules."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image
from vscrowd.cli.main import app

from vscrowd import VSCrowd, synthesize
from vscrowd.errors import OutputError, PredictionFormatError
from vscrowd.eval import write_predictions
from vscrowd.methods.baselines import background_blobs
from vscrowd.methods.tracker import track_points
from vscrowd.report import read_results, report_from_files

from .browser import load, needs_chromium

SECTIONS = ["summary", "pr-curves", "per-video", "per-density", "counts-over-time",
            "tracking", "vic", "worst-frames"]


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A dataset, tracked baseline predictions, and `vscrowd eval --report` on them."""
    base = tmp_path_factory.mktemp("rep")
    root = synthesize(base / "data", videos=8, frames=8, size=(320, 180), seed=2)
    ds = VSCrowd(root).select(split="test")
    preds = track_points(background_blobs(ds), ds)
    write_predictions(preds, base / "p.json")
    res = CliRunner().invoke(app, ["eval", str(base / "p.json"), "--data", str(root),
                                   "--json", str(base / "r.json"), "--report",
                                   str(base / "report")])
    assert res.exit_code == 0, res.output
    return base, root


@needs_chromium
def test_page_in_a_browser(run, tmp_path):
    base, _root = run
    page = base / "report" / "index.html"
    seen = load(page, tmp_path)
    assert seen.console == []  # no errors, no warnings, nothing logged
    assert 'data-ready="1"' in seen.dom and 'id="page-errors"></div>' in seen.dom
    for anchor in SECTIONS:
        assert f'<section id="{anchor}">' in seen.dom, anchor
    assert "GNANet (paper)" in seen.dom and "74.70" in seen.dom  # Table II, σ=20 mAP
    assert seen.dom.count("<svg") >= 3 + 2  # PR curves (3 σ) and counts over time
    assert seen.dom.count('src="data:image/jpeg;base64,') >= 2  # worst-frame overlays
    img = np.asarray(Image.open(seen.screenshot).convert("RGB"))
    assert img.shape[:2] == (2000, 1280)
    assert img.std() > 20 and len(np.unique(img.reshape(-1, 3), axis=0)) > 200  # not blank


@needs_chromium
def test_tables_sort_in_the_browser(run, tmp_path):
    base, _root = run
    seen = load(base / "report" / "index.html", tmp_path, "?sort=t-per-video:6:desc")
    table = seen.dom.split('id="t-per-video"')[1].split("</table>")[0]
    missed = [float(m) for m in re.findall(r'<tr><td data-v="[^"]*">.*?</td>(?:<td[^>]*>.*?'
                                           r'</td>){5}<td data-v="([^"]+)"', table)]
    assert len(missed) >= 2 and missed == sorted(missed, reverse=True)
    assert seen.console == []


def test_page_is_self_contained(run):
    base, _root = run
    text = (base / "report" / "index.html").read_text()
    # No CDN, no server: nothing is fetched (the SVG namespace is a name, not a fetch).
    assert not re.search(r'(src|href)="(https?:)?//', text)
    assert "@import" not in text and "url(http" not in text
    links = re.findall(r'href="([^"#][^"]*)"', text)
    assert links and all((base / "report" / h).resolve().is_file() for h in links)


def test_report_from_the_results_file(run, tmp_path):
    base, root = run
    out = report_from_files(base / "r.json", tmp_path / "a")
    text = out.read_text()
    assert 'id="summary"' in text and 'id="tracking"' in text and "worst-frames" not in text
    full = report_from_files(base / "r.json", tmp_path / "b", preds=base / "p.json",
                             ds=VSCrowd(root))
    assert 'id="worst-frames"' in full.read_text()


def test_report_folder_rules(run, tmp_path):
    base, root = run
    r = CliRunner()
    out = tmp_path / "rep"
    assert r.invoke(app, ["report", str(base / "r.json"), "--out", str(out)]).exit_code == 0
    before = (out / "index.html").read_text()
    res = r.invoke(app, ["report", str(base / "r.json"), "--out", str(out), "--name", "x"])
    assert res.exit_code == 2 and "--overwrite" in res.output
    assert (out / "index.html").read_text() == before
    res = r.invoke(app, ["report", str(base / "r.json"), "--out", str(out), "--name", "x",
                         "--overwrite"])
    assert res.exit_code == 0 and (out / "index.html").read_text() != before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rep"]  # no temporary left
    res = r.invoke(app, ["report", str(base / "r.json"), "--out", str(root / "rep")])
    assert res.exit_code == 2 and "inside the dataset root" in res.output
    assert not (root / "rep").exists()
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "notes.txt").write_text("keep")
    with pytest.raises(OutputError, match="did not write"):
        report_from_files(base / "r.json", foreign, overwrite=True)
    assert (foreign / "notes.txt").read_text() == "keep"


def test_overwrite_never_deletes_a_file_added_to_a_report(run, tmp_path):
    base, _root = run
    out = report_from_files(base / "r.json", tmp_path / "rep").parent
    (out / "notes.txt").write_text("mine")
    (out / "sub").mkdir()
    (out / "sub" / "a.txt").write_text("mine too")
    with pytest.raises(OutputError, match="did not write .*notes.txt"):
        report_from_files(base / "r.json", out, overwrite=True)
    assert (out / "notes.txt").read_text() == "mine"
    assert (out / "sub" / "a.txt").read_text() == "mine too"
    (out / "notes.txt").unlink()
    (out / "sub" / "a.txt").unlink()
    (out / "sub").rmdir()
    report_from_files(base / "r.json", out, overwrite=True)  # only its own: replaced
    (out / ".vscrowd-report").write_text("written by vscrowd report\n")  # no list: older
    with pytest.raises(OutputError, match="did not write"):
        report_from_files(base / "r.json", out, overwrite=True)


def test_a_failed_report_keeps_the_previous_one(run, tmp_path, monkeypatch):
    base, _root = run
    out = report_from_files(base / "r.json", tmp_path / "rep")
    before = out.read_text()
    import vscrowd.report.page as page

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(page, "build_page", boom)
    with pytest.raises(RuntimeError):
        report_from_files(base / "r.json", tmp_path / "rep", overwrite=True)
    assert out.read_text() == before and sorted(p.name for p in tmp_path.iterdir()) == ["rep"]


def test_results_from_another_format_are_named(run, tmp_path):
    base, _root = run
    with pytest.raises(PredictionFormatError, match="'vscrowd-predictions' file"):
        read_results(base / "p.json")
    (tmp_path / "x.json").write_text(json.dumps({"hello": 1}))
    with pytest.raises(PredictionFormatError, match="vscrowd eval --json"):
        read_results(tmp_path / "x.json")
