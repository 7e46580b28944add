"""The SenseCrowd per-frame label files (``label_list_all/<video>.txt``).

Used by the video-counting literature (DRNet, DAANet, OMAN). Each line is one frame::

    <file name> <width> <height> x1 y1 x2 y2 p1 p2 id x1 y1 x2 y2 p1 p2 id ...

i.e. the VSCrowd heads with the track ID *last*, plus the frame's file name and size.
:func:`read_sensecrowd_labels` returns the same :class:`~vscrowd.datasets.annotations.Annotations`
as the official reader (FrameID = file-name stem; ``width``/``height`` in the frames
table), so :func:`~vscrowd.datasets.annotations.write_annotations` converts it to the official
layout. Validation is the official reader's; errors name positions in *this* format.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .._text import decode_utf8, read_bytes
from ..errors import AnnotationFormatError
from ._annotation_text import Parsed, checked, fail, head_table, parse, plain_ascii
from .annotations import Annotations, tables_from_parsed
from .values import MAX_SIDE, valid_side

__all__ = ["LabelLines", "format_sensecrowd_labels", "read_sensecrowd_labels",
           "read_sensecrowd_many", "read_sensecrowd_video"]

# Position of each official field within a SenseCrowd head group (id is last).
_SENSE_INDEX = {"x1": 0, "y1": 1, "x2": 2, "y2": 3, "p1": 4, "p2": 5, "HeadID": 6}
_FIELD = re.compile(r"token \d+ \((\w+), head (\d+)\)")
#: SenseCrowd's head columns (x1 y1 x2 y2 p1 p2 id) into the official order (id first).
_TO_OFFICIAL = [6, 0, 1, 2, 3, 4, 5]
#: The one ASCII byte str.split() cuts tokens at and neither bytes.split() nor
#: str.splitlines() does (plain_ascii refuses the others): files holding it take the
#: token-by-token reader, so a frame file name is the same token on both paths.
_UNIT_SEPARATOR = b"\x1f"


def read_sensecrowd_labels(path: str | Path, *, video: str | None = None,
                           strict: bool = False) -> Annotations:
    """Read one SenseCrowd label file (see the module docstring).

    Raises:
        AnnotationFormatError: As the official reader, with line and token positions
            of this format (token 1 = file name, 2-3 = size, heads from token 4).

    Example:
        >>> import tempfile, pathlib
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "test_001.txt"
        >>> _ = p.write_text("0001.jpg 640 360 10 20 30 50 20 30 7\\n0002.jpg 640 360\\n")
        >>> ann = read_sensecrowd_labels(p)
        >>> ann.heads[["frame", "head_id", "x", "y"]].astype(str).values.tolist()
        [['0001', '7', '20.0', '30.0']]
        >>> ann.frames[["frame", "width", "height"]].values.tolist()
        [['0001', 640, 360], ['0002', 640, 360]]
    """
    return read_sensecrowd_video(path, video=video, strict=strict)[0]


def read_sensecrowd_video(path: str | Path, *, video: str | None = None,
                          strict: bool = False) -> tuple[Annotations, list[str]]:
    """:func:`read_sensecrowd_labels` and each line's frame file name as written
    (``000001.jpg``: the frame's image is ``video_ori/<video>/<file name>``)."""
    path = Path(path)
    parsed, files, sizes = read_sensecrowd_many([path], [video or path.stem], strict)[0]
    return _annotations(parsed, sizes), files


@dataclass(frozen=True)
class LabelLines:
    """The non-blank lines of one label file, split: frame-file stems and names, sizes,
    1-based line numbers and the head values of each line (SenseCrowd's order)."""

    stems: list[bytes]
    files: list[str]
    sizes: list[tuple[int, int]]
    line_nos: list[int]
    rests: list[bytes]


def read_sensecrowd_many(paths: Sequence[Path], videos: Sequence[str], strict: bool = False
                         ) -> list[tuple[Parsed, list[str], list[tuple[int, int]]]]:
    """Each label file's parse (heads in the official column order, as the official
    reader gives them), frame file names and frame sizes.

    The numbers of all files go through the official reader's converter in one pass
    (Arrow: a call per file cost more than the conversion) and are reordered to the
    official columns as arrays; a file that pass refuses is read alone, token by token,
    and its errors name the line and token of this format.

    Raises:
        AnnotationFormatError: names the file, line and token.
    """
    datas = [read_bytes(p, AnnotationFormatError, "label file") for p in paths]
    lines = [_lines(d) for d in datas]
    ok = [x is not None for x in lines]
    table = per_line = None
    if any(ok):
        rests = [r for x in lines if x is not None for r in x.rests]
        nos = [n for x in lines if x is not None for n in x.line_nos]
        try:
            table, per_line = head_table(rests, nos, paths[0])
        except AnnotationFormatError:
            ok = [False] * len(paths)  # each file alone: the bad one is named
    out, at_line, at_head = [], 0, 0
    for data, x, fine, path, video in zip(datas, lines, ok, paths, videos):
        parsed = None
        if fine:
            hp = per_line[at_line:at_line + len(x.stems)]
            rows = table[at_head:at_head + int(hp.sum())]
            at_line, at_head = at_line + len(hp), at_head + len(rows)
            try:
                parsed = checked(x.stems, x.line_nos, rows[:, _TO_OFFICIAL], hp,
                                 video=video, path=path, strict=strict)
            except AnnotationFormatError:
                parsed = None  # read alone below: the error in this format
        out.append((parsed, x.files, x.sizes) if parsed is not None
                   else _read_slow(decode_utf8(data, path, AnnotationFormatError), path,
                                   video, strict))
    return out


def _lines(data: bytes) -> LabelLines | None:
    """The lines of a file in the plain form (ASCII; ``<file> <width> <height>`` and
    the head values; a file name without a path), or None for anything else."""
    data = plain_ascii(data)
    if data is None or _UNIT_SEPARATOR in data:
        return None
    x = LabelLines([], [], [], [], [])
    for no, line in enumerate(data.split(b"\n"), start=1):
        tok = line.split(None, 3)
        if not tok:
            continue
        if len(tok) < 3 or not (tok[1].isdigit() and tok[2].isdigit()):
            return None
        name = tok[0]
        if b"/" in name or b"\\" in name or name in (b".", b".."):
            return None
        dot = name.rfind(b".")  # Path(name).stem: the last suffix off, if it has one
        x.stems.append(name[:dot] if 0 < dot < len(name) - 1 else name)
        x.files.append(name.decode("ascii"))
        size = int(tok[1]), int(tok[2])
        if not (valid_side(size[0]) and valid_side(size[1])):
            return None  # the token reader names it
        x.sizes.append(size)
        x.line_nos.append(no)
        x.rests.append(tok[3] if len(tok) == 4 else b"")
    return x if x.stems else None


def _annotations(parsed: Parsed, sizes: list[tuple[int, int]]) -> Annotations:
    ann = tables_from_parsed([parsed])
    frames = ann.frames.copy()
    frames["width"] = pd.array([s[0] for s in sizes], dtype="Int32")
    frames["height"] = pd.array([s[1] for s in sizes], dtype="Int32")
    return Annotations(ann.heads, frames)


def _read_slow(text: str, path: Path, video: str | None, strict: bool
               ) -> tuple[Parsed, list[str], list[tuple[int, int]]]:
    """Token by token (the official order rebuilt as text), errors in this format."""
    official, sizes, files = [], [], []
    for no, line in enumerate(text.splitlines(), start=1):
        tok = line.split()
        if not tok:
            official.append("")  # keep line numbers aligned
            continue
        if len(tok) < 3:
            fail(path, no, "expected '<file> <width> <height>' at the start of the line")
        try:
            w, h = int(tok[1]), int(tok[2])
        except ValueError:
            fail(path, no, f"expected integer width and height, got {tok[1]!r} {tok[2]!r}",
                  field="tokens 2-3")
        if not (valid_side(w) and valid_side(h)):
            fail(path, no, f"expected a width and height from 1 to {MAX_SIDE:,} pixels, "
                  f"got {tok[1]} {tok[2]}", field="tokens 2-3")
        if any(c in tok[0] for c in "/\\") or tok[0] in (".", ".."):
            fail(path, no, f"expected a frame file name, got {tok[0]!r}", field="token 1")
        rest = tok[3:]
        if len(rest) % 7:
            fail(path, no, f"expected 7 values per head (x1 y1 x2 y2 p1 p2 id), got "
                  f"{len(rest)}; the incomplete head starts at token "
                  f"{4 + len(rest) // 7 * 7}", field="head fields")
        groups = [rest[i:i + 7] for i in range(0, len(rest), 7)]
        reordered = [v for g in groups for v in (g[6], *g[:6])]
        official.append(" ".join([Path(tok[0]).stem, *reordered]))
        sizes.append((w, h))
        files.append(tok[0])
    try:
        parsed = parse("\n".join(official).encode(), video=video or path.stem, path=path,
                       strict=strict)
    except AnnotationFormatError as exc:
        field = exc.field
        m = _FIELD.search(field or "")
        if m:  # translate the official token position into this format's
            name, head = m.group(1), int(m.group(2))
            pos = 4 + (head - 1) * 7 + _SENSE_INDEX[name]
            field = f"token {pos} ({name if name != 'HeadID' else 'id'}, head {head})"
        raise AnnotationFormatError(exc.reason, path=path, line=exc.line, field=field) from exc
    return parsed, files, sizes


def format_sensecrowd_labels(ann: Annotations, width: int, height: int,
                             decimals: int | None = None) -> str:
    """One video of ``ann`` as SenseCrowd label lines (6-digit frame file names, the
    frame size, heads as ``x1 y1 x2 y2 p1 p2 id``; frames without heads as bare lines).

    Example:
        >>> from vscrowd.datasets.annotations import parse_annotations
        >>> a = parse_annotations("0001 7 1 2 11 22 6 12\\n0002\\n", video="v")
        >>> print(format_sensecrowd_labels(a, 640, 360), end="")
        000001.jpg 640 360 1 2 11 22 6 12 7
        000002.jpg 640 360
    """
    heads = ann.heads
    by_frame: dict[int, list[str]] = {}
    cols = heads[["frame_index", "x1", "y1", "x2", "y2", "x", "y", "head_id"]].to_numpy()
    for fi, x1, y1, x2, y2, px, py, hid in cols:
        vals = [x1, y1, x2, y2, px, py]
        if decimals is not None:
            vals = [round(float(v), decimals) for v in vals]
        by_frame.setdefault(int(fi), []).append(
            " ".join(f"{float(v):g}" for v in vals) + f" {int(hid)}")
    lines = []
    for i, fi in enumerate(ann.frames["frame_index"].to_numpy()):
        parts = [f"{i + 1:06d}.jpg", str(width), str(height), *by_frame.get(int(fi), [])]
        lines.append(" ".join(parts))
    return "\n".join(lines) + "\n"
