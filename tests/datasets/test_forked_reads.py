"""FDST's video folders and NWPU-Crowd's JSON files read in worker processes
(vscrowd._parallel) give what one process gives: the same tables, the same first error
(naming the same file and field), each warning once."""

from __future__ import annotations

import json
import shutil
import sys
import warnings
from pathlib import Path

import pandas as pd
import pytest

import vscrowd
from vscrowd.datasets import dataset_info, fdst, nwpu
from vscrowd.errors import AnnotationFormatError

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"),
                                reason="forked workers are used on Linux only")


@pytest.fixture(scope="module")
def roots(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("forked")
    return {n: dataset_info(n).synth(base / n, seed=3) for n in ("fdst", "nwpu")}


@pytest.fixture
def forks(fork_children, monkeypatch) -> list[int]:
    """Workers for every video / image, and the children started."""
    monkeypatch.setattr(fdst, "_VIDEOS_PER_WORKER", 1)
    monkeypatch.setattr(nwpu, "_BATCH", 1)
    monkeypatch.setattr(nwpu, "_BATCHES_PER_WORKER", 1)
    return fork_children


def _serial(monkeypatch, read):
    with monkeypatch.context() as mp:
        mp.setenv("VSCROWD_WORKERS", "1")
        return read()


def _outcome(read):
    """``(tables or the error's text, the warnings' texts)`` of ``read()``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ds = read()
            got = (ds.frames, ds.heads)
        except AnnotationFormatError as exc:
            got = str(exc)
    return got, [str(w.message) for w in caught]


@pytest.mark.parametrize("name", ["fdst", "nwpu"])
def test_same_tables_as_one_process(roots, forks, monkeypatch, name):
    def read():
        return vscrowd.open(roots[name], cache=False)

    (frames, heads), warned = _outcome(read)
    assert len(forks) == 2  # the work went to two children besides this process
    (frames1, heads1), warned1 = _serial(monkeypatch, lambda: _outcome(read))
    pd.testing.assert_frame_equal(frames, frames1)
    pd.testing.assert_frame_equal(heads, heads1)
    assert warned == warned1 and len(heads) > 0


def test_fdst_error_in_a_childs_video_is_the_same(roots, forks, monkeypatch, tmp_path):
    root = Path(shutil.copytree(roots["fdst"], tmp_path / "f"))
    for video, frame in (("test_data/3", "002"), ("train_data/2", "003")):
        path = root / video / f"{frame}.json"
        doc = json.loads(path.read_text())
        del next(iter(doc.values()))["regions"][0]["shape_attributes"]["height"]
        path.write_text(json.dumps(doc))

    def read():
        return vscrowd.open(root, cache=False)

    got, _ = _outcome(read)
    assert forks and got == _serial(monkeypatch, lambda: _outcome(read))[0]
    assert "train_data/2/003.json" in got and "regions[0].shape_attributes.height" in got


def test_nwpu_warning_in_a_childs_image_once(roots, forks, monkeypatch, tmp_path):
    root = Path(shutil.copytree(roots["nwpu"], tmp_path / "n"))
    last = sorted((root / "jsons").glob("*.json"))[-1]
    doc = json.loads(last.read_text())
    doc["human_num"] += 1
    last.write_text(json.dumps(doc))

    def read():
        return vscrowd.open(root, cache=False)

    (_, heads), warned = _outcome(read)
    assert forks and [w for w in warned if "human_num" in w] == \
        [f"{last}: human_num {doc['human_num']} != {doc['human_num'] - 1} points "
         "(the points are kept)"]
    assert warned == _serial(monkeypatch, lambda: _outcome(read))[1]
