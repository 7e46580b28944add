"""Archives as they arrive from a download: recognised by content, read as streams,
extracted safely.

Kinds: zip, tar (plain, gzip, bzip2, xz), byte-split multi-part archives
(``name.zip.001``, ``name.tar.gz.002``, ...: the parts joined in order form the archive)
and plain files. Checksum files (``*.md5``, ``*.sha256``, ``MD5SUMS``, ``SHA256SUMS``) are
read and every file they name is verified before anything is extracted. 7z and spanned
zips (``.z01``) are recognised and refused with the command that converts them.

Safety: members with absolute paths, ``..`` components, links, devices or FIFOs are
refused before anything of their archive is written.
"""

from __future__ import annotations

import bz2
import gzip
import hashlib
import io
import lzma
import re
import tarfile
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

from .._files import require_regular_file, walk_files
from .._text import read_text
from ..errors import DatasetError
from .archive_entries import (
    DEFAULT_MAX_RATIO,
    BoundedReader,
    check_declared,
    expansion_limit,
    safe_name,
)

__all__ = ["Archive", "ArchiveMember", "find_archives", "missing_parts", "read_checksums",
           "verify_checksums"]

Kind = Literal["zip", "tar", "files"]
_MAGIC = ((b"PK\x03\x04", "zip"), (b"PK\x05\x06", "zip"), (b"\x1f\x8b", "tar:gz"),
          (b"BZh", "tar:bz2"), (b"\xfd7zXZ\x00", "tar:xz"))
_SEVEN_ZIP = b"7z\xbc\xaf\x27\x1c"
_PART = re.compile(r"^(?P<stem>.+)\.(?P<n>\d{3})$")
_SPANNED = re.compile(r"\.z\d\d$", re.IGNORECASE)
_CHECKSUM_NAMES = re.compile(r"(\.(md5|sha256)$|^(MD5SUMS|SHA256SUMS)(\.txt)?$)",
                             re.IGNORECASE)
_CHUNK = 1 << 20


class ChainedFile(io.RawIOBase):
    """Several files read as one seekable stream (byte-split archive parts)."""

    def __init__(self, paths: Sequence[Path]) -> None:
        super().__init__()
        self._paths = list(paths)
        self._sizes = [p.stat().st_size for p in self._paths]
        self._starts = [sum(self._sizes[:i]) for i in range(len(self._sizes))]
        self._pos, self._fh, self._open = 0, None, -1

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    @property
    def size(self) -> int:
        return sum(self._sizes)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self.size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def tell(self) -> int:
        return self._pos

    def readinto(self, buf) -> int:
        if self._pos >= self.size:
            return 0
        i = max(j for j, s in enumerate(self._starts) if s <= self._pos)
        if i != self._open:
            if self._fh:
                self._fh.close()
            self._fh, self._open = open(self._paths[i], "rb"), i  # noqa: SIM115
        self._fh.seek(self._pos - self._starts[i])
        n = self._fh.readinto(memoryview(buf)[: self._starts[i] + self._sizes[i] - self._pos])
        self._pos += n
        return n

    def close(self) -> None:
        if self._fh:
            self._fh.close()
        super().close()


@dataclass(frozen=True)
class ArchiveMember:
    """One regular file inside an archive (or a plain file)."""

    name: str  # POSIX path inside the archive, normalised (archive_entries.normalise_name)
    size: int
    raw: str = ""  # the name as the archive spells it (messages)


@dataclass(frozen=True)
class Archive:
    """One archive (possibly in several parts) or one plain file of a download folder."""

    name: str  # the name shown in messages (relative to the download folder)
    parts: tuple[Path, ...]  # archive parts in order, or the plain files ("files")
    kind: Kind
    compression: str = ""  # gz, bz2, xz for tar
    base: Path | None = None  # "files": the folder their member names are relative to
    max_ratio: float = DEFAULT_MAX_RATIO  # see vscrowd.archive_entries

    @property
    def size(self) -> int:
        return sum(p.stat().st_size for p in self.parts)

    @property
    def limit(self) -> int:
        """The most bytes of content this archive may hold (archive_entries)."""
        return expansion_limit(self.size, self._compressed, self.max_ratio)

    @property
    def _compressed(self) -> bool:
        return self.kind == "zip" or bool(self.compression)

    def open(self) -> BinaryIO:
        for p in self.parts:
            require_regular_file(p, DatasetError, "archive part")
        if len(self.parts) == 1:
            return open(self.parts[0], "rb")
        return io.BufferedReader(ChainedFile(self.parts), buffer_size=_CHUNK)

    def members(self) -> list[ArchiveMember]:
        """The regular files inside, in archive order, after the safety checks (see the
        module docstring) and the size bounds (:mod:`vscrowd.archive_entries`).

        Raises:
            DatasetError: A corrupt archive, an unsafe member, a size past the bounds
                or data after a tar's end (names the archive).
        """
        if self.kind == "files":
            return [ArchiveMember(p.relative_to(self.base).as_posix(), p.stat().st_size,
                                  p.relative_to(self.base).as_posix()) for p in self.parts]
        return list(self._entries(extract=None))

    def extract(self, dest: Path, keep: Callable[[int], bool] = lambda index: True
                ) -> Iterator[tuple[int, Path]]:
        """Stream the members whose index in :meth:`members` ``keep`` accepts into
        ``dest`` (created), one file per member named after its index (so members with
        one name never overwrite each other), yielding ``(index, path)``.
        :meth:`members` must have been called first (safety checks)."""
        dest.mkdir(parents=True, exist_ok=True)
        if self.kind == "files":  # copied: the download folder is never modified
            for i, p in enumerate(self.parts):
                if keep(i):
                    with open(require_regular_file(p, DatasetError), "rb") as src:
                        yield i, _copy_stream(src, dest / str(i), p.stat().st_size, p.name)
            return
        yield from self._entries(extract=(dest, keep))

    def _entries(self, extract):
        try:
            with self.open() as fh:
                if self.kind == "zip":
                    yield from _zip_entries(self, fh, extract)
                else:
                    yield from _tar_entries(self, fh, extract)
        except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, ValueError,
                zlib.error, lzma.LZMAError) as exc:
            raise DatasetError(f"{self.name}: corrupt or incomplete archive "
                               f"({type(exc).__name__}: {exc}); is a part missing?") from exc


def _zip_entries(a: Archive, fh: BinaryIO, extract):
    with zipfile.ZipFile(fh) as zf:
        # a folder entry ends with a separator: "/" or, from Windows tools, "\\"
        infos = [i for i in zf.infolist() if not i.is_dir() and not i.filename.endswith("\\")]
        members = [_zip_member(a.name, i) for i in infos]
        check_declared(a.name, sum(m.size for m in members), a.size, a.limit, True)
        if extract is None:
            yield from members
            return
        dest, keep = extract
        for index, (info, m) in enumerate(zip(infos, members)):
            if keep(index):
                with zf.open(info) as src:
                    yield index, _copy_stream(src, dest / str(index), m.size, m.raw)


def _tar_entries(a: Archive, fh: BinaryIO, extract):
    stream = _decompressed(fh, a.compression)
    bounded = BoundedReader(stream, a.name, a.size, a.limit, a._compressed)
    index = 0
    with tarfile.open(fileobj=bounded, mode="r|") as tf:  # type: ignore[arg-type]
        for t in tf:
            # checked before the stream skips or reads the entry's data
            check_declared(a.name, t.offset_data + t.size, a.size, a.limit, a._compressed,
                           f"entry {t.name[:80]!r} of {t.size:,} bytes")
            m = _tar_member(a.name, t)
            if m is None:
                continue
            if extract is None:
                yield m
            elif extract[1](index):
                src = tf.extractfile(t)
                yield index, _copy_stream(src, extract[0] / str(index), m.size, m.raw)
            index += 1
        _check_tail(a, tf.fileobj)


def _decompressed(fh: BinaryIO, compression: str) -> BinaryIO:
    """The tar stream inside ``fh`` (these readers also read concatenated members)."""
    if compression == "gz":
        return gzip.GzipFile(fileobj=fh, mode="rb")
    if compression == "bz2":
        return bz2.BZ2File(fh)
    if compression == "xz":
        return lzma.LZMAFile(fh)
    return fh


def _check_tail(a: Archive, stream) -> None:
    """Only zeros may follow a tar's end-of-archive marker: anything else is a second
    archive appended to the first (``cat a.tar b.tar``), which tar itself skips."""
    for chunk in iter(lambda: stream.read(_CHUNK), b""):
        if chunk.strip(b"\0"):
            raise DatasetError(f"{a.name}: data after the tar's end-of-archive marker (two "
                               "archives joined with cat?); nothing of it was used. Extract "
                               "it with `tar -xif` and run again with --from on the result")


def _copy_stream(src: BinaryIO, path: Path, size: int, name: str) -> Path:
    """Copy at most ``size`` bytes (the declared size); more is an error."""
    path.parent.mkdir(parents=True, exist_ok=True)
    left = size
    with open(path, "wb") as out:
        while chunk := src.read(min(_CHUNK, left + 1)):
            left -= len(chunk)
            if left < 0:
                raise DatasetError(f"{name}: holds more data than the {size:,} bytes its "
                                   "archive declares; corrupt or hostile archive")
            out.write(chunk)
    return path


def _zip_member(archive: str, info: zipfile.ZipInfo) -> ArchiveMember:
    mode = info.external_attr >> 16
    if mode and (mode & 0o170000) not in (0, 0o100000):
        raise DatasetError(f"{archive}: refusing entry {info.filename!r} (a link or special "
                           "file); nothing extracted from it")
    return ArchiveMember(safe_name(archive, info.filename), info.file_size, info.filename)


def _tar_member(archive: str, t: tarfile.TarInfo) -> ArchiveMember | None:
    if t.isdir():
        safe_name(archive, t.name)
        return None
    if not t.isfile():
        raise DatasetError(f"{archive}: refusing entry {t.name!r} (a link, device or FIFO); "
                           "nothing extracted from it")
    name = safe_name(archive, t.name)
    return ArchiveMember(name, t.size, t.name) if name else None


def _sniff(path: Path) -> str:
    with open(path, "rb") as fh:
        head = fh.read(512)
    if head.startswith(_SEVEN_ZIP):
        return "7z"
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if len(head) >= 262 and head[257:262] == b"ustar":
        return "tar:"
    return "file"


def find_archives(folder: Path, *, follow_links: bool = False
                  ) -> tuple[list[Archive], list[Path]]:
    """The archives and plain files under ``folder`` (multi-part archives grouped) and the
    checksum files.

    Raises:
        DatasetError: A 7z or spanned zip (with the command that converts it), a
            multi-part archive with a gap in its numbering, a link out of ``folder``
            (unless ``follow_links``), a device, FIFO or socket (names the path).
    """
    files = sorted(walk_files(folder, DatasetError, follow_links=follow_links))
    checksums = [p for p in files if _CHECKSUM_NAMES.search(p.name)]
    groups: dict[Path, list[tuple[int, Path]]] = {}
    singles = []
    for p in files:
        if p in checksums:
            continue
        if _SPANNED.search(p.name):
            raise DatasetError(f"{p}: a spanned zip part; join the parts first with "
                               f"`zip -s 0 {p.with_suffix('.zip').name} --out joined.zip`")
        m = _PART.match(p.name)
        if m:
            groups.setdefault(p.with_name(m.group("stem")), []).append((int(m.group("n")), p))
        else:
            singles.append(p)
    archives, plain = [], []
    for p in singles:
        a = _classify(p.relative_to(folder).as_posix(), (p,))
        if a is None:
            plain.append(p)
        else:
            archives.append(a)
    for stem, parts in sorted(groups.items()):
        numbers = sorted(n for n, _ in parts)
        expected = list(range(numbers[0], numbers[0] + len(numbers)))
        if numbers != expected or numbers[0] not in (0, 1):
            missing = sorted(set(range(numbers[0] if numbers[0] in (0, 1) else 1,
                                       numbers[-1] + 1)) - set(numbers))
            raise DatasetError(f"{stem.name}: multi-part archive is missing part(s) "
                               f"{', '.join(f'{n:03d}' for n in missing) or '001'}")
        ordered = tuple(p for _, p in sorted(parts))
        a = _classify(stem.relative_to(folder).as_posix(), ordered)
        if a is None:
            raise DatasetError(f"{stem.name}: multi-part file of unknown kind (not zip or tar)")
        archives.append(a)
    if plain:
        archives.append(Archive(f"{len(plain)} plain file(s) in {folder.name}/",
                                tuple(plain), "files", base=folder))
    return archives, checksums


def _classify(name: str, parts: tuple[Path, ...]) -> Archive | None:
    """The archive ``parts`` form, or None for a plain file."""
    kind = _sniff(parts[0])
    if kind == "7z":
        raise DatasetError(f"{name}: a 7z archive; extract it with `7z x` (or convert it to "
                           "zip/tar) and run again with --from on the result")
    if kind == "file":
        return None
    if kind.startswith("tar:"):
        return Archive(name, parts, "tar", kind.split(":")[1])
    return Archive(name, parts, kind)  # type: ignore[arg-type]


def read_checksums(paths: Sequence[Path]) -> dict[str, tuple[str, str]]:
    """``{file name: (algorithm, hex digest)}`` from md5sum/sha256sum-style files."""
    out: dict[str, tuple[str, str]] = {}
    for p in paths:
        algo = "sha256" if "sha256" in p.name.lower() else "md5"
        for line in read_text(p, DatasetError, "checksum file").splitlines():
            parts = line.strip().split()
            if len(parts) >= 2 and re.fullmatch(r"[0-9a-fA-F]{32}|[0-9a-fA-F]{64}", parts[0]):
                digest = parts[0].lower()
                out[Path(parts[-1].lstrip("*")).name] = (
                    "sha256" if len(digest) == 64 else algo, digest)
    return out


def missing_parts(archives: Sequence[Archive], sums: dict[str, tuple[str, str]]
                  ) -> list[str]:
    """The file names a checksum file lists that are not among the downloaded files."""
    have = {p.name for a in archives for p in a.parts}
    return sorted(set(sums) - have)


def verify_checksums(archives: Sequence[Archive], sums: dict[str, tuple[str, str]]) -> int:
    """Check every part that a checksum file names; returns how many were checked.

    Raises:
        DatasetError: A mismatch (names the part).
    """
    checked = 0
    for a in archives:
        for part in a.parts:
            if part.name not in sums:
                continue
            algo, want = sums[part.name]
            h = hashlib.new(algo)
            with open(part, "rb") as fh:
                for chunk in iter(lambda fh=fh: fh.read(_CHUNK), b""):
                    h.update(chunk)
            if h.hexdigest() != want:
                raise DatasetError(f"{part}: {algo} checksum mismatch (expected {want}, got "
                                   f"{h.hexdigest()}); download this part again")
            checked += 1
    return checked
