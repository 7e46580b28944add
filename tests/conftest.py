from __future__ import annotations

import os
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest

from vscrowd import VSCrowd, synthesize


def _has_cuda() -> bool:
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


# Without a GPU the Triton GNA kernel runs in Triton's CPU interpreter; the variable must
# be set before the kernel module is first imported (its functions are decorated then).
if not _has_cuda():
    os.environ.setdefault("TRITON_INTERPRET", "1")


@pytest.fixture
def fork_children(monkeypatch) -> Iterator[list[int]]:
    """The process ids of the worker processes vscrowd._parallel.fork_map starts, with
    children started whatever the machine and the tests before: four usable CPUs, no
    thread check (another test may have left a daemon thread, e.g. tqdm's monitor),
    SIGCHLD at its default (a PyTorch DataLoader with workers installs a handler), no
    ``VSCROWD_WORKERS`` from the environment. The checks have their own tests."""
    import signal

    from vscrowd import _parallel

    monkeypatch.setattr(_parallel.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3})
    monkeypatch.delenv("VSCROWD_WORKERS", raising=False)
    monkeypatch.setattr(_parallel, "_threads_running", lambda: False)
    pids: list[int] = []
    start = _parallel._Child.start.__func__

    def record(cls, fn, chunk):
        child = start(cls, fn, chunk)
        if child is not None:  # None: the system refused a process (the parent does it)
            pids.append(child.pid)
        return child

    monkeypatch.setattr(_parallel._Child, "start", classmethod(record))
    old = signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    try:
        yield pids
    finally:
        signal.signal(signal.SIGCHLD, old)


@pytest.fixture(scope="session")
def synth_root(tmp_path_factory) -> Path:
    """A small synthetic dataset shared by read-only tests."""
    return synthesize(tmp_path_factory.mktemp("synth") / "data", videos=4, frames=6,
                      size=(160, 96), seed=3)


@pytest.fixture(scope="session")
def synth_ds(synth_root) -> VSCrowd:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return VSCrowd(synth_root, cache=False)


def write_dataset(root: Path, files: dict[str, str], images: dict[str, tuple[int, int]] | None
                  = None) -> Path:
    """Hand-written dataset: annotation texts and optional blank frame images (W, H)."""
    import cv2
    import numpy as np

    (root / "annotations").mkdir(parents=True, exist_ok=True)
    for video, text in files.items():
        (root / "annotations" / f"{video}.txt").write_text(text)
        if images and video in images:
            w, h = images[video]
            (root / "videos" / video).mkdir(parents=True, exist_ok=True)
            for line in text.splitlines():
                if line.split():
                    cv2.imwrite(str(root / "videos" / video / f"{line.split()[0]}.jpg"),
                                np.full((h, w, 3), 90, np.uint8))
    return root
