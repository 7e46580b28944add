"""Issue 31, item 6: devices, FIFOs, sockets and folders are refused by ``stat`` before
they are opened, by every reader, naming the path -- within seconds, never a hang."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from click.testing import CliRunner
from vscrowd.cli.main import app

from vscrowd import synthesize
from vscrowd.datasets import dataset_info

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs POSIX FIFOs")


@pytest.fixture(scope="module")
def data(tmp_path_factory) -> Path:
    return synthesize(tmp_path_factory.mktemp("sp") / "data", videos=2, frames=2,
                      size=(64, 48), seed=2, images=False)


def _refused(argv, *says: str) -> str:
    start = time.perf_counter()
    res = CliRunner().invoke(app, [str(a) for a in argv])
    assert time.perf_counter() - start < 5
    assert res.exit_code == 2, res.output
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]
    assert len(errors) == 1 and "Traceback" not in res.output, res.output
    for s in says:
        assert s in errors[0], (s, errors[0])
    return errors[0]


def test_eval_dev_zero_is_refused(data):
    _refused(["eval", "/dev/zero", "--data", data], "/dev/zero", "character device")


def test_eval_fifo_is_refused(data, tmp_path):
    os.mkfifo(tmp_path / "p.json")
    _refused(["eval", tmp_path / "p.json", "--data", data], "p.json", "FIFO")
    os.mkfifo(tmp_path / "p.jsonl")
    _refused(["eval", tmp_path / "p.jsonl", "--data", data], "p.jsonl", "FIFO")
    (tmp_path / "txt").mkdir()
    os.mkfifo(tmp_path / "txt" / "test_001.txt")
    _refused(["eval", tmp_path / "txt", "--data", data], "test_001.txt", "FIFO")


def test_a_link_to_a_device_is_refused(data, tmp_path):
    (tmp_path / "p.json").symlink_to("/dev/zero")
    _refused(["eval", tmp_path / "p.json", "--data", data], "p.json", "character device")


def test_an_annotation_file_that_is_a_fifo_is_refused(data, tmp_path):
    root = tmp_path / "root"
    shutil.copytree(data, root)
    ann = sorted((root / "annotations").glob("test_*.txt"))[0]
    ann.unlink()
    os.mkfifo(ann)
    _refused(["stats", root, "--no-cache"], ann.name, "FIFO")


def test_a_training_config_linked_to_a_fifo_is_refused(data, tmp_path):
    os.mkfifo(tmp_path / "fifo")
    (tmp_path / "cfg.json").symlink_to(tmp_path / "fifo")
    _refused(["train", "--data", data, "--out", tmp_path / "run", "--config",
              tmp_path / "cfg.json"], "cfg.json", "FIFO")


def test_a_model_config_that_is_a_fifo_is_refused(data, tmp_path):
    (tmp_path / "m").mkdir()
    os.mkfifo(tmp_path / "m" / "config.json")
    (tmp_path / "m" / "model.safetensors").write_bytes(b"\0" * 16)
    _refused(["predict", tmp_path / "m", "--data", data, "--out", tmp_path / "p.json"],
             "config.json", "FIFO")


def test_a_checkpoint_that_is_a_socket_is_refused(data, tmp_path):
    path = tmp_path / "s.pt"
    sock = socket.socket(socket.AF_UNIX)
    try:
        sock.bind(str(path))
    except OSError:
        pytest.skip("cannot bind a UNIX socket here")
    try:
        _refused(["export", path, "--out", tmp_path / "m"], "s.pt", "socket")
    finally:
        sock.close()


def test_a_checksum_file_that_is_a_device_is_refused(tmp_path):
    (tmp_path / "S").mkdir()
    (tmp_path / "S" / "a.txt").write_text("0001 1 0 0 4 4 2 2\n")
    (tmp_path / "S" / "SHA256SUMS").symlink_to("/dev/zero")
    _refused(["download", tmp_path / "R", "--from", tmp_path / "S", "--follow-links"],
             "SHA256SUMS", "character device")


class _Hung(BaseException):
    """Not an OSError (a reader's ``except OSError`` would take a TimeoutError for an
    unreadable file and go on to the next blocking open)."""


@contextmanager
def _within(seconds: int):
    """A blocking open inside the block fails the test instead of hanging the suite
    (the alarm's exception interrupts the system call)."""
    def expire(signum, frame):
        raise _Hung(f"still blocked after {seconds} s")

    old = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, old)


@pytest.fixture(scope="module")
def registered(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("reg")
    return {n: dataset_info(n).synth(base / n, seed=4) for n in ("nwpu", "qnrf")}


def _with_fifo(src: Path, tmp_path: Path, name: str) -> tuple[Path, Path]:
    root = Path(shutil.copytree(src, tmp_path / "root"))
    fifo = sorted(root.glob(name))[0]
    fifo.unlink()
    os.mkfifo(fifo)
    return root, fifo


def test_an_image_that_is_a_fifo_is_a_missing_image(registered, tmp_path):
    # Its header was read with a blocking open: the whole dataset hung on it.
    root, fifo = _with_fifo(registered["nwpu"], tmp_path, "images/*.jpg")
    with _within(20):
        res = CliRunner().invoke(app, ["stats", str(root), "--no-cache"])
    assert res.exit_code == 0, res.output
    assert "missing" in res.stderr and f"{fifo.stem}" in res.stderr


def test_a_mat_file_that_is_a_fifo_is_refused(registered, tmp_path):
    root, _ = _with_fifo(registered["qnrf"], tmp_path, "Train/*_ann.mat")
    with _within(20):
        _refused(["stats", root, "--no-cache"], "_ann.mat", "expected a MATLAB file",
                 "FIFO")


def test_a_fresh_fifo_is_not_read_for_the_cache_key(registered, tmp_path):
    # Files changed in the last 3 s are hashed by content for the cache key: a FIFO
    # among them blocked the key before the reader could name it.
    root, _ = _with_fifo(registered["nwpu"], tmp_path, "jsons/*.json")
    with _within(20):
        _refused(["stats", root], ".json", "FIFO")
