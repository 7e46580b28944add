"""Small file-system helpers: atomic writes and output-path checks."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from ._files import special_kind
from ._optional import interrupts_deferred
from .errors import OutputError


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# Read once at import: os.umask can only be read by setting it, which is process-wide
# and would race with threads creating files.
_UMASK = _read_umask()


def _finish(tmp: str | Path) -> None:
    # mkstemp creates 0600 files; give outputs the permissions a plain open() would.
    os.chmod(tmp, 0o666 & ~_UMASK)


def ensure_folder(path: str | Path) -> Path:
    """Create the output folder ``path`` (and parents) with a clear error if it cannot be
    (e.g. it is an existing file)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path} exists and is not a folder; expected an output folder")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create folder {path}: {exc.strerror} (is a parent a "
                          "file?)") from exc
    return path


def check_output_folder(path: str | Path) -> Path:
    """``path`` as a Path; an error if it exists and is not a folder (nothing is created,
    for writers that make the folder only once their work has succeeded)."""
    path = Path(path)
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path} exists and is not a folder; expected an output folder")
    return path


def ensure_parent(path: str | Path) -> Path:
    """Create the parent folder of ``path`` if needed and return the path to write: a
    link is written through (the file it points to is replaced, the link stays).

    Raises:
        OutputError: ``path`` is a folder, a FIFO, a device or a socket (a rename over
            it would replace it -- ``/dev/null`` included -- with a regular file).
    """
    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    if path.is_dir():
        raise OutputError(f"{path} is a folder; expected a file path to write")
    with contextlib.suppress(OSError):
        kind = special_kind(os.stat(path).st_mode)
        if kind is not None:
            raise OutputError(f"{path} is {kind}; vscrowd writes regular files only "
                              "(give a file path, or '-' where stdout is accepted)")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create folder {path.parent}: {exc.strerror} (is a parent "
                          "a file?)") from exc
    if not os.access(path.parent, os.W_OK):
        raise OutputError(f"folder {path.parent} is not writable")
    return path


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", **kwargs) -> Iterator[IO]:
    """Open a temporary file next to ``path``; rename it over ``path`` on success.

    A crash or exception leaves any previous ``path`` untouched and removes the
    temporary file (which this function created), so readers never see a
    half-written file.
    """
    with atomic_path(path) as tmp, open(tmp, mode, **kwargs) as fh:
        yield fh
        fh.flush()
        os.fsync(fh.fileno())


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    with atomic_open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


def refuse_inputs(out: str | Path, *inputs: str | Path | None,
                  option: str = "the output") -> None:
    """An error if writing ``out`` would replace one of the ``inputs`` (the same file,
    however named) or write inside one of them that is a folder (a dataset root)."""
    target = Path(os.path.realpath(out))
    for given in inputs:
        if given is None:
            continue
        src = Path(os.path.realpath(given))
        if target == src or (src.is_dir() and src in target.parents):
            where = "is" if target == src else "is inside"
            raise OutputError(f"{option} {out} {where} the input {given}; write it "
                              "elsewhere (inputs are never overwritten)")


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path for writers that want a file name (pyarrow, OpenCV).

    The temporary file keeps ``path``'s suffix so format detection still works.
    """
    path = ensure_parent(path)
    tmp = None
    try:
        # Ctrl-C held while the temporary is created and its name kept: one arriving
        # in between left the file behind (seen in an interrupted `synth` of the suite).
        with interrupts_deferred():
            try:
                fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=path.suffix,
                                           dir=path.parent)
            except OSError as exc:
                raise OutputError(f"cannot write to {path.parent}: {exc.strerror}") from exc
            os.close(fd)
        yield Path(tmp)
        _finish(tmp)
        os.replace(tmp, path)
    except BaseException:
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
