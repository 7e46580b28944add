"""Validating an annotation file of any size in bounded memory.

:func:`vscrowd.annotations.read_annotations` builds tables of the whole file; a
download's check only needs to know that the file parses. This reads it in blocks of
whole lines, parses each block with the same parser (so the same rules and messages),
shifts the line numbers of any error to the file's, and checks FrameIDs across blocks.
"""

from __future__ import annotations

from pathlib import Path

from .._files import require_regular_file
from .._text import BOM
from ..errors import AnnotationFormatError
from ._annotation_text import parse

__all__ = ["check_annotations_streaming"]

_BLOCK = 4 * 2**20  # parsing a block takes ~12x its size


def _blocks(path: Path, block: int):
    """``(first line number, bytes of whole lines)`` pieces of the file."""
    line, carry = 1, b""
    with open(path, "rb") as fh:
        first = True
        while chunk := fh.read(block):
            if first and chunk.startswith(BOM):
                chunk = chunk[len(BOM):]
            first = False
            data = carry + chunk
            cut = data.rfind(b"\n") + 1
            if cut == 0:
                carry = data
                continue
            yield line, data[:cut]
            line += data.count(b"\n", 0, cut)
            carry = data[cut:]
    if carry or line == 1:
        yield line, carry


def check_annotations_streaming(path: str | Path, *, video: str, block: int = _BLOCK
                                ) -> int:
    """Parse ``path`` block by block; returns the number of frames.

    Raises:
        AnnotationFormatError: The first problem, with the file's line number.
    """
    path = require_regular_file(path, AnnotationFormatError, "annotation file")
    seen: set[str] = set()
    for first, data in _blocks(path, block):
        if not data.strip():
            if not seen and first == 1:
                parse(data, video=video, path=path, strict=False)  # "empty" error
            continue
        try:
            parsed = parse(data, video=video, path=path, strict=False)
        except AnnotationFormatError as exc:
            line = None if exc.line is None else exc.line + first - 1
            raise AnnotationFormatError(exc.reason, path=path, line=line,
                                        field=exc.field) from None
        again = seen.intersection(parsed.frames)
        if again:
            frame = min(again)
            raise AnnotationFormatError(f"FrameID {frame!r} already used before line "
                                        f"{first}", path=path,
                                        line=first + parsed.frames.index(frame),
                                        field="FrameID")
        seen.update(parsed.frames)
    return len(seen)
