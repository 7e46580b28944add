"""Which paths may be read as files: regular files only, checked by ``stat`` first.

A character device (``/dev/zero``) never ends, a FIFO blocks the reader until someone
writes to it, a socket cannot be opened and a folder is not a file. Every reader of
vscrowd (predictions, annotations, configs, checksums, archives, model files) calls
:func:`require_regular_file` before it opens a path, so such a path -- or a link to one
-- is refused at once with its name instead of hanging or filling memory. ``stat``
never blocks, even on a FIFO.

:func:`walk_files` lists a folder the same way, without following links out of it.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from .errors import LocatedError, VSCrowdError

__all__ = ["open_regular", "require_regular_file", "special_kind", "walk_files"]

_KINDS = ((stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISFIFO, "a FIFO (named pipe)"),
          (stat.S_ISSOCK, "a socket"))


def _error(error: type[VSCrowdError], message: str, path: Path) -> VSCrowdError:
    if issubclass(error, LocatedError):
        return error(message, path=path)
    return error(f"{path}: {message}")


def special_kind(mode: int) -> str | None:
    """``"a FIFO (named pipe)"`` and the like for a non-regular ``st_mode``, else None."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def require_regular_file(path: str | Path, error: type[VSCrowdError],
                         what: str = "file") -> Path:
    """``path`` as a Path if it is a regular file (or a link to one); otherwise raise
    ``error`` naming the path and what it is (missing, a folder, a device, a FIFO...).

    >>> from vscrowd.errors import DatasetError
    >>> require_regular_file("/dev/null", DatasetError, "checksum file")
    Traceback (most recent call last):
    ...
    vscrowd.errors.DatasetError: /dev/null: expected a checksum file, got a character device
    """
    path = Path(path)
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        raise _error(error, f"no such {what}" + (" (a broken link)" if path.is_symlink()
                                                 else ""), path) from None
    except OSError as exc:
        raise _error(error, f"cannot read {what} ({exc.strerror or exc}; a looping "
                            "link?)", path) from None
    kind = special_kind(mode)
    if kind is not None:
        raise _error(error, f"expected a {what}, got {kind}", path)
    return path


def open_regular(path: str | Path) -> int | None:
    """A read-only descriptor of ``path`` if it is a regular file (or a link to one),
    else None (the descriptor closed). Opened non-blocking, so a FIFO is judged at once
    instead of waiting for a writer; the caller closes the descriptor.

    Raises:
        OSError: ``path`` cannot be opened (missing, not permitted).
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if stat.S_ISREG(os.fstat(fd).st_mode):
            return fd
    except OSError:
        os.close(fd)
        raise
    os.close(fd)
    return None


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.relative_to(folder)
    except ValueError:
        return False
    return True


def walk_files(folder: str | Path, error: type[VSCrowdError], *,
               follow_links: bool = False) -> Iterator[Path]:
    """The regular files under ``folder`` (sorted per folder). A link whose target lies
    outside ``folder`` is refused unless ``follow_links``; links inside it are read
    where they point; devices, FIFOs and sockets are refused (all name the path)."""
    folder = Path(folder)
    top = folder.resolve()
    for here, dirs, files in os.walk(folder, followlinks=follow_links):
        dirs.sort()
        base = Path(here)
        for name in sorted(dirs) + sorted(files):
            p = base / name
            if p.is_symlink():
                target = p.resolve()
                if not follow_links and not _inside(target, top):
                    raise _error(error, f"a link to {target}, outside {folder}; refusing "
                                        "to follow it (pass --follow-links to allow)", p)
                if name in dirs:
                    continue  # inside the folder: its files are listed where they are
            if name in files:
                yield require_regular_file(p, error, "regular file")
