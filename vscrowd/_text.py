"""Reading text input: one decoding policy for every file vscrowd reads.

Text files are UTF-8. A UTF-8 byte-order mark at the very start (Windows editors write
one) is accepted and removed; any other byte sequence that is not UTF-8 is an error that
names the file and the line. Nothing is decoded "with replacement", so a FrameID, a
video name or a split entry is never silently altered.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from ._files import require_regular_file
from .errors import LocatedError, VSCrowdError

__all__ = ["BOM", "decode_utf8", "finite_numbers", "is_number", "read_json",
           "read_small_files", "read_text", "refuse_utf16", "strip_bom"]

BOM = b"\xef\xbb\xbf"


def strip_bom(data: bytes) -> bytes:
    """``data`` without a leading UTF-8 byte-order mark.

    >>> strip_bom(b"\\xef\\xbb\\xbf0001 1 2"), strip_bom(b"0001")
    (b'0001 1 2', b'0001')
    """
    return data[len(BOM):] if data.startswith(BOM) else data


#: Byte-order marks of the encodings a Windows editor saves as "Unicode" (UTF-32 first:
#: its little-endian mark starts with UTF-16's).
_FOREIGN_BOMS = ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
                 (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16"))


def refuse_utf16(data: bytes, path: str | Path | None, error: type[VSCrowdError]) -> None:
    """Raise ``error`` (naming the file, line 1) for text saved as UTF-16 or UTF-32, by
    its byte-order mark or, without one, a NUL byte in its first line: read as UTF-8
    such a file fails on a token full of NULs, far from the cause.

    >>> from vscrowd.errors import DatasetError
    >>> refuse_utf16("0001 1".encode("utf-16"), "a.txt", DatasetError)
    Traceback (most recent call last):
    ...
    vscrowd.errors.DatasetError: a.txt, line 1: expected UTF-8 text, got UTF-16 ...
    """
    found = next((name for bom, name in _FOREIGN_BOMS if data.startswith(bom)), None)
    head = data[:4096]
    if found is None and b"\x00" in head.split(b"\n", 1)[0]:
        found = "UTF-16 or UTF-32 (a NUL byte)"
    if found is not None:
        raise _error(error, f"expected UTF-8 text, got {found} (save the file as UTF-8)",
                     path, 1)


def _error(error: type[VSCrowdError], message: str, path, line: int | None) -> VSCrowdError:
    if issubclass(error, LocatedError):
        return error(message, path=path, line=line)
    where = ", ".join(str(x) for x in (path, None if line is None else f"line {line}") if x)
    return error(f"{where}: {message}" if where else message)


def decode_utf8(data: bytes, path: str | Path | None, error: type[VSCrowdError],
                first_line: int = 1) -> str:
    """Decode ``data`` (BOM stripped) or raise ``error`` naming the file and line. Data
    from line 1 (a whole file, or its first line) saved as UTF-16 or UTF-32 is refused
    as such (:func:`refuse_utf16`).

    >>> from vscrowd.errors import DatasetError
    >>> decode_utf8(b"a\\nb\\xe9", "list.txt", DatasetError)
    Traceback (most recent call last):
    ...
    vscrowd.errors.DatasetError: list.txt, line 2: expected UTF-8 text, got byte 0xe9 ...
    """
    if first_line == 1:
        refuse_utf16(data, path, error)
    data = strip_bom(data)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = first_line + data.count(b"\n", 0, exc.start)
        raise _error(error, f"expected UTF-8 text, got byte 0x{data[exc.start]:02x} (save "
                            "the file as UTF-8)", path, line) from None


def read_bytes(path: str | Path, error: type[VSCrowdError], what: str = "file") -> bytes:
    """The bytes of ``path``; unreadable files, folders, devices, FIFOs and broken links
    raise ``error`` naming the path.

    The file is opened first (non-blocking, so a FIFO cannot stall the open) and checked
    on its descriptor (``fstat``): one system call fewer than a ``stat`` before the
    open, and no window between the check and the read. Anything but a regular file is
    handed to :func:`~vscrowd._files.require_regular_file` for its message.
    """
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        require_regular_file(path, error, what)  # names what the path is, and raises
        raise _error(error, f"cannot read {what}", path, None) from None
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    except OSError:
        regular = False
    if not regular:
        os.close(fd)
        require_regular_file(path, error, what)  # names what it is, and raises
        raise _error(error, f"expected a {what}", path, None)
    with os.fdopen(fd, "rb") as fh:
        try:
            return fh.read()
        except OSError as exc:
            raise _error(error, f"cannot read {what} ({exc.strerror or exc})", path,
                         None) from None


def read_small_files(folder: str | Path, names: Sequence[str]) -> list[bytes | None]:
    """The bytes of the files ``names`` of ``folder``, None for each one that
    :func:`read_bytes` must judge (missing, not a regular file, unreadable, changed
    while read): its error then names the file exactly as a single read does.

    For folders of many small files (FDST: a ~1 KB JSON per frame). Each file is
    opened relative to the folder's descriptor, so the kernel resolves one name, not
    the whole path, and read with one ``read`` of its ``fstat`` size, without a file
    object: half of what :func:`read_bytes` costs per file.
    """
    dir_fd = None
    if os.open in os.supports_dir_fd:
        try:
            dir_fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        except OSError:
            return [None] * len(names)
    else:  # no relative opens here (Windows): the same reads by full path
        names = [os.path.join(folder, name) for name in names]
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)  # a FIFO cannot stall the open
    try:
        return [_read_at(name, flags, dir_fd) for name in names]
    finally:
        if dir_fd is not None:
            os.close(dir_fd)


def _read_at(name: str, flags: int, dir_fd: int | None) -> bytes | None:
    try:
        fd = os.open(name, flags, dir_fd=dir_fd)
    except OSError:
        return None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return None
        data = os.read(fd, st.st_size + 1)  # one byte more: a file that grew is seen
    except OSError:
        return None
    finally:
        os.close(fd)
    return data if len(data) == st.st_size else None


def read_text(path: str | Path, error: type[VSCrowdError], what: str = "file") -> str:
    """The UTF-8 text of ``path`` (see :func:`decode_utf8`); unreadable files, folders and
    broken links raise ``error`` naming the path."""
    return decode_utf8(read_bytes(path, error, what), Path(path), error)


def read_json(path: str | Path, error: type[VSCrowdError], what: str = "file"):
    """The parsed JSON of ``path``; invalid JSON (or nesting too deep to parse) raises
    ``error`` naming the file and line."""
    import json

    try:
        return json.loads(read_text(path, error, what))
    except json.JSONDecodeError as exc:
        raise _error(error, f"not valid JSON: {exc.msg} (column {exc.colno})", path,
                     exc.lineno) from None
    except RecursionError:
        raise _error(error, "JSON nested too deeply", path, None) from None


def is_number(text: str) -> bool:
    """Whether ``float(text)`` parses (the text readers' test for a numeric field).

    >>> is_number("1e3"), is_number("nan"), is_number("x1")
    (True, True, False)
    """
    try:
        float(text)
    except ValueError:
        return False
    return True


def finite_numbers(tokens: Sequence[str], error: type[VSCrowdError], path: str | Path,
                   line: int) -> np.ndarray:
    """``tokens`` as float64, each a plain ASCII number with a finite value: Python's
    ``float`` alone also reads ``1_0`` (as 10), ``３`` (a full-width 3), ``nan`` and
    ``inf``, which no published file means.

    Raises:
        ``error``: the first token that is not such a number (names file and line).

    >>> finite_numbers(["1", "-2.5e1"], ValueError, "f", 1).tolist()
    [1.0, -25.0]
    """
    bad = next((t for t in tokens if not t.isascii() or "_" in t or not is_number(t)), None)
    if bad is None:
        values = np.array(tokens, dtype=np.float64)
        finite = np.isfinite(values)
        if finite.all():
            return values
        bad = tokens[int(np.flatnonzero(~finite)[0])]
    raise _error(error, f"expected a finite number, got {bad!r}", path, line)
