"""Archive entry names and sizes, judged once before anything is decided or written.

Names: ``tar -C data -czf x.tgz .`` writes ``./annotations/a.txt``, zips made on Windows
use ``annotations\\a.txt``, macOS writes names in decomposed Unicode. Every entry name is
normalised once -- ``\\`` to ``/``, ``.`` components and repeated separators removed,
Unicode NFC -- and every later decision (which entries to keep, collisions, where a file
goes) sees that one spelling. Names that would escape the extraction folder (absolute,
a drive letter, ``..``) or that no file system can hold (a component over 255 bytes) are
refused.

Sizes: an archive may declare any size in its headers (a 2.5 KB tar can claim 10^18
bytes). Declared sizes are bounded before extraction -- by the archive's own length for
an uncompressed tar, by :data:`DEFAULT_MAX_RATIO` times its length for compressed
archives (a zip bomb expands thousands of times; real frames and annotation files do
not compress much) -- and the bound is enforced again while the data is read.
"""

from __future__ import annotations

import re
import unicodedata
from typing import BinaryIO

from ..errors import DatasetError

__all__ = ["DEFAULT_MAX_RATIO", "FLOOR_BYTES", "BoundedReader", "check_declared",
           "expansion_limit", "normalise_name", "safe_name"]

#: How many times its own size a compressed archive may expand to (``--max-ratio``).
DEFAULT_MAX_RATIO = 200.0
#: Whatever the ratio, an archive may always expand to this many bytes (small archives
#: of text compress well and are harmless).
FLOOR_BYTES = 64 * 2**20
_NAME_MAX = 255  # bytes per path component on Linux, macOS and Windows file systems


def normalise_name(name: str) -> str:
    """The one spelling of an entry name used for every decision.

    >>> normalise_name(".\\\\annotations//./test_001.txt")
    'annotations/test_001.txt'
    >>> normalise_name("videos/cafe\\u0301/0001.jpg") == "videos/caf\\u00e9/0001.jpg"
    True
    """
    text = unicodedata.normalize("NFC", name.replace("\\", "/"))
    return "/".join(p for p in text.split("/") if p not in ("", "."))


def safe_name(archive: str, name: str) -> str:
    """:func:`normalise_name` of an entry that stays inside the extraction folder.

    Raises:
        DatasetError: An absolute name, a drive letter, a ``..`` component or a
            component too long for a file system (names the archive and entry).
    """
    raw = name.replace("\\", "/")
    clean = normalise_name(name)
    if raw.startswith("/") or re.match(r"^[A-Za-z]:", raw) or ".." in clean.split("/"):
        raise DatasetError(f"{archive}: refusing entry {name!r}, which would be written "
                           "outside the extraction folder; nothing extracted from it")
    long = [p for p in clean.split("/") if len(p.encode("utf-8", "surrogateescape"))
            > _NAME_MAX]
    if long:
        raise DatasetError(f"{archive}: refusing entry {name[:60]!r}... (a name part of "
                           f"{len(long[0].encode('utf-8', 'surrogateescape'))} bytes; file "
                           f"systems hold at most {_NAME_MAX}); nothing extracted from it")
    return clean


def expansion_limit(archive_bytes: int, compressed: bool, max_ratio: float) -> int:
    """The most bytes an archive of ``archive_bytes`` may hold once decompressed."""
    if not compressed:
        return archive_bytes
    return max(int(archive_bytes * max_ratio), FLOOR_BYTES)


def _too_big(archive: str, declared: int, archive_bytes: int, limit: int,
             compressed: bool, entry: str = "") -> DatasetError:
    if not compressed:
        return DatasetError(f"{archive}: {entry or 'an entry'} declares data up to byte "
                            f"{declared:,}, "
                            f"past the end of the archive ({archive_bytes:,} bytes); the "
                            "archive is corrupt or hostile; nothing extracted from it")
    return DatasetError(f"{archive}: {entry + ': ' if entry else ''}declares {declared:,} "
                        "bytes of content in all, more than "
                        f"{limit / max(archive_bytes, 1):.0f}x its own size ({archive_bytes:,} "
                        "bytes): a decompression bomb or a corrupt archive; nothing "
                        "extracted from it (raise --max-ratio if you trust it)")


def check_declared(archive: str, declared: int, archive_bytes: int, limit: int,
                   compressed: bool, entry: str = "") -> None:
    """Raise if ``declared`` bytes (an entry's end, or a running total) pass ``limit``;
    ``entry`` ("entry 'x' of 10 bytes") is named in the message."""
    if declared > limit:
        raise _too_big(archive, declared, archive_bytes, limit, compressed, entry)


class BoundedReader:
    """A read-only stream that refuses to deliver more than ``limit`` bytes: the bound on
    declared sizes, enforced on the data actually decompressed."""

    def __init__(self, raw: BinaryIO, archive: str, archive_bytes: int, limit: int,
                 compressed: bool) -> None:
        self._raw, self._archive, self._bytes = raw, archive, archive_bytes
        self._limit, self._compressed, self.count = limit, compressed, 0

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self._limit - self.count + 1
        data = self._raw.read(min(n, self._limit - self.count + 1))
        self.count += len(data)
        if self.count > self._limit:
            raise _too_big(self._archive, self.count, self._bytes, self._limit,
                           self._compressed)
        return data

    def readable(self) -> bool:
        return True

    def close(self) -> None:
        self._raw.close()
