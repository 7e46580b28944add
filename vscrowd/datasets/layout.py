"""The official folder layout: where annotation files and frame images live.

``ROOT/annotations/<video>.txt`` and ``ROOT/videos/<video>/<FrameID>.jpg``.
"""

from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from .._files import open_regular
from ..errors import DatasetError
from .splits import split_from_name

__all__ = ["IMAGE_EXT", "IMAGE_SUFFIXES", "annotation_files", "first_readable_size",
           "header_reads", "image_size", "jpeg_size", "png_size"]

IMAGE_EXT = ".jpg"
#: Suffixes of the image files read anywhere (frame folders, datasets), lower case.
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")

#: The image files whose header :func:`image_size` reads while :func:`header_reads` is
#: open (in this context; a context variable, so two reads in two threads stay apart).
_HEADER_READS: ContextVar[list[str] | None] = ContextVar("header_reads", default=None)


@contextmanager
def header_reads() -> Iterator[list[str]]:
    """Collect the path of every image whose header :func:`image_size` reads inside the
    block: what a reader's tables depend on of the images (the annotation cache checks
    just those on a hit; of the others only the names count)."""
    reads: list[str] = []
    token = _HEADER_READS.set(reads)
    try:
        yield reads
    finally:
        _HEADER_READS.reset(token)


def _video_sort_key(path: Path) -> tuple[int, str]:
    # train videos first, then test, then anything else; natural order within.
    split = split_from_name(path.stem)
    return ({"train": 0, "test": 1}.get(split, 2), path.stem)


def annotation_files(root: str | Path) -> list[Path]:
    """The annotation files of a root, train videos first, then test, then others.

    Raises:
        DatasetError: No ``annotations`` folder or no ``*.txt`` in it.
    """
    root = Path(root)
    ann_dir = root / "annotations"
    if not ann_dir.is_dir():
        hint = ""
        if root.is_dir():
            hint = " (expected ROOT/annotations/<video>.txt and ROOT/videos/<video>/)"
        raise DatasetError(f"no annotations folder in {root}{hint}")
    files = sorted(ann_dir.glob("*.txt"), key=_video_sort_key)
    if not files:
        raise DatasetError(f"no annotation files (*.txt) in {ann_dir}")
    return files


def image_size(path: str | Path) -> tuple[int, int] | None:
    """(width, height) from the image header only (no pixel decode); None if the file is
    missing, empty or not an image. JPEG and PNG headers are read here (a few
    microseconds), anything else -- and any header these walks do not take -- by Pillow
    (about 80).

    Raises:
        DatasetError: Pillow refuses the header's size as a decompression bomb (over
            twice ``PIL.Image.MAX_IMAGE_PIXELS``; names the file).
    """
    reads = _HEADER_READS.get()
    if reads is not None:
        reads.append(os.fspath(path))
    size = _header_size(path, (_sof_size, _ihdr_size))
    if size is not None:
        return size if size is not _NOT_A_FILE else None
    from PIL import Image  # Pillow ships with matplotlib; reads headers lazily

    try:
        with Image.open(path) as im:
            return im.size
    except Image.DecompressionBombError as exc:  # not an OSError: it would escape
        raise DatasetError(f"{path}: {exc} (a corrupt or hostile header?)") from None
    except (OSError, ValueError):
        return None


#: A header reader: the open file and its first 4 KB -> the size, or None.
_HeaderReader = Callable[[int, bytes], tuple[int, int] | None]


def jpeg_size(path: str | Path) -> tuple[int, int] | None:
    """(width, height) from a JPEG's start-of-frame segment, or None for anything else
    (then Pillow decides). Walking the segment headers costs a few microseconds; opening
    the file with Pillow about 80 (a dataset of thousands of images reads each one)."""
    return _known(_header_size(path, (_sof_size,)))


def png_size(path: str | Path) -> tuple[int, int] | None:
    """(width, height) from a PNG's ``IHDR`` chunk, or None for anything else (then
    Pillow decides): UCSD's frames are PNG."""
    return _known(_header_size(path, (_ihdr_size,)))


#: What :func:`_header_size` gives for a path that is not a regular file (missing, a
#: folder, a FIFO): nothing for Pillow to try either (opening a FIFO would block).
_NOT_A_FILE = (0, 0)


def _known(size: tuple[int, int] | None) -> tuple[int, int] | None:
    return None if size is _NOT_A_FILE else size


def _header_size(path: str | Path, readers: tuple[_HeaderReader, ...]
                 ) -> tuple[int, int] | None:
    """The first size one of ``readers`` finds in the file (:data:`_NOT_A_FILE` if it is
    not a regular file). The file is read with plain descriptor calls, its first 4 KB at
    once (where the frame header of a camera or web JPEG usually is, and a PNG's always)
    and further on only if a JPEG segment reaches past them: no file object, no seek per
    segment."""
    try:
        fd = open_regular(path)
    except OSError:
        return _NOT_A_FILE
    if fd is None:
        return _NOT_A_FILE
    try:
        head = os.read(fd, 4096)
        for read in readers:
            size = read(fd, head)
            if size is not None:
                return size
        return None
    except OSError:
        return None
    finally:
        os.close(fd)


#: A PNG file's first 16 bytes: the signature, then the IHDR chunk's length (13) and
#: type, which the PNG specification puts first (W3C PNG, 3rd ed., 5.2 and 11.2.1).
_PNG_START = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
#: The allowed (bit depth, colour type) pairs (W3C PNG, 3rd ed., table 11.1).
_PNG_DEPTHS = frozenset({(1, 0), (2, 0), (4, 0), (8, 0), (16, 0), (8, 2), (16, 2), (1, 3),
                         (2, 3), (4, 3), (8, 3), (8, 4), (16, 4), (8, 6), (16, 6)})


def _ihdr_size(fd: int, head: bytes) -> tuple[int, int] | None:
    """The size in a PNG's ``IHDR`` chunk, when the chunk is valid as the specification
    states it (its CRC, sizes 1 to 2**31 - 1, an allowed depth and colour type, methods
    0, interlace 0 or 1); None otherwise, and Pillow decides."""
    if len(head) < 33 or not head.startswith(_PNG_START):
        return None
    if zlib.crc32(head[12:29]) != int.from_bytes(head[29:33], "big"):
        return None
    w, h = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    depth, colour, compression, filtering, interlace = head[24:29]
    if not (0 < w < 1 << 31 and 0 < h < 1 << 31) or (depth, colour) not in _PNG_DEPTHS \
            or compression or filtering or interlace > 1:
        return None
    return w, h


#: JPEG start-of-frame markers (SOF0-SOF15 less DHT, JPG and DAC), which hold the size.
_SOF = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}


def _sof_size(fd: int, head: bytes) -> tuple[int, int] | None:
    """The size in the start-of-frame segment of the JPEG open as ``fd`` (``head``: its
    first bytes)."""
    buf, base = head, 0  # buf holds the file's bytes from offset base
    if buf[:2] != b"\xff\xd8":
        return None
    pos = 2
    while True:
        if pos + 9 > base + len(buf):  # a segment header (and SOF fields) past buf
            os.lseek(fd, pos, os.SEEK_SET)
            buf, base = os.read(fd, 4096), pos
        at = pos - base
        seg = buf[at:at + 4]
        if len(seg) < 4 or seg[0] != 0xFF or seg[1] in (0xD9, 0xDA):
            return None  # not a segment (padding, restart) or no frame header
        if seg[1] in _SOF:
            sof = buf[at + 4:at + 9]
            if len(sof) < 5:
                return None
            h, w = int.from_bytes(sof[1:3], "big"), int.from_bytes(sof[3:5], "big")
            return (w, h) if w and h else None
        pos += 2 + int.from_bytes(seg[2:4], "big")


def first_readable_size(folder: Path, fids: list[str], tries: int = 5
                        ) -> tuple[int, int] | None:
    """The size of the first readable frame among the first ``tries`` of ``fids``."""
    for fid in fids[:tries]:
        size = image_size(folder / (fid + IMAGE_EXT))
        if size:
            return size
    return None
