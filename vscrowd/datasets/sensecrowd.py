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
from pathlib import Path

import pandas as pd

from .._text import read_text
from ..errors import AnnotationFormatError
from ._annotation_text import fail, parse
from .annotations import Annotations, tables_from_parsed

__all__ = ["format_sensecrowd_labels", "read_sensecrowd_labels", "read_sensecrowd_video"]

# Position of each official field within a SenseCrowd head group (id is last).
_SENSE_INDEX = {"x1": 0, "y1": 1, "x2": 2, "y2": 3, "p1": 4, "p2": 5, "HeadID": 6}
_FIELD = re.compile(r"token \d+ \((\w+), head (\d+)\)")


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
    text = read_text(path, AnnotationFormatError, "label file")
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
    ann = tables_from_parsed([parsed])
    frames = ann.frames.copy()
    frames["width"] = pd.array([s[0] for s in sizes], dtype="Int32")
    frames["height"] = pd.array([s[1] for s in sizes], dtype="Int32")
    return Annotations(ann.heads, frames), files


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
