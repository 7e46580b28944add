"""Read, validate and write VSCrowd ground-truth annotation files.

One TXT file per video; each non-blank line is one frame::

    FrameID HeadID x1 y1 x2 y2 p1 p2 HeadID x1 y1 x2 y2 p1 p2 ...

``FrameID`` is kept as the string written in the file ("0001"); per head, ``HeadID`` is
the track ID, ``x1 y1 x2 y2`` the head-shoulder box and ``p1 p2`` the head center.

Parsing is vectorized (see :mod:`vscrowd.datasets._annotation_text`); several files are parsed
by two threads and assembled into one table without per-file DataFrames.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd

from .._files import require_regular_file
from .._io import atomic_write_text
from .._moved import renamed_attribute
from ..errors import AnnotationFormatError
from ..frameids import frame_number
from ._annotation_text import Parsed, parse

__all__ = [
    "Annotations",
    "FRAME_COLUMNS",
    "FrameAnnotation",
    "HEAD_COLUMNS",
    "format_annotations",
    "frame_number",
    "iter_frame_annotations",
    "parse_annotations",
    "read_annotations",
    "read_many",
    "tables_from_parsed",
    "write_annotations",
]

logger = logging.getLogger(__name__)

#: Columns of the heads table, one row per annotated head.
HEAD_COLUMNS = ("video", "frame", "frame_index", "head_id", "x1", "y1", "x2", "y2", "x", "y")
#: Columns of the frames table, one row per annotation line (frames without heads too).
FRAME_COLUMNS = ("video", "frame", "frame_index", "n_heads")
_COORDS = ("x1", "y1", "x2", "y2", "x", "y")


@dataclass(frozen=True)
class FrameAnnotation:
    """The heads of one frame as aligned arrays (the field names of the core point set,
    :class:`vscrowd.Points`).

    Attributes:
        video: Video name, e.g. ``"train_001"``.
        frame: FrameID as written in the annotation file, e.g. ``"0001"``.
        frame_index: 0-based position of the frame's line in its file.
        xy: ``(N, 2)`` float64 head centers ``(x, y)`` in pixels.
        box: ``(N, 4)`` float64 head-shoulder boxes ``(x1, y1, x2, y2)``.
        track_id: ``(N,)`` int64 track (head) IDs.
    """

    video: str
    frame: str
    frame_index: int
    xy: np.ndarray
    box: np.ndarray
    track_id: np.ndarray

    # 0.1.0's names, read with a DeprecationWarning for one release.
    points = renamed_attribute("points", "xy")
    boxes = renamed_attribute("boxes", "box")
    head_ids = renamed_attribute("head_ids", "track_id")

    def __post_init__(self) -> None:
        n = len(self.track_id)
        if self.xy.shape != (n, 2) or self.box.shape != (n, 4):
            raise ValueError(
                f"expected xy (N, 2) and box (N, 4) with N={n}, "
                f"got {self.xy.shape} and {self.box.shape}"
            )

    def __len__(self) -> int:
        return len(self.track_id)


def _empty_heads() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "video": pd.Categorical([]),
            "frame": pd.Categorical([]),
            "frame_index": np.empty(0, np.int32),
            "head_id": np.empty(0, np.int64),
            **{c: np.empty(0, np.float64) for c in _COORDS},
        }
    )


def _empty_frames() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "video": pd.Categorical([]),
            "frame": pd.Series([], dtype=object),
            "frame_index": np.empty(0, np.int32),
            "n_heads": np.empty(0, np.int32),
        }
    )


@dataclass(frozen=True)
class Annotations:
    """Ground truth of one or more videos: a heads table and a frames table.

    Attributes:
        heads: One row per head with columns :data:`HEAD_COLUMNS`; ``video`` and
            ``frame`` are categoricals, ``frame_index`` int32, ``head_id`` int64,
            coordinates float64 pixels. Rows are ordered by video, then line order.
        frames: One row per frame line with columns :data:`FRAME_COLUMNS` (frames
            with zero heads included), in file order. The dataset adds ``width``
            and ``height`` where the frame image exists.

    Example:
        >>> ann = parse_annotations(b"0001 7 0 0 10 10 5 5\\n0002\\n", video="train_001")
        >>> len(ann), ann.frames["n_heads"].tolist()
        (1, [1, 0])
    """

    heads: pd.DataFrame
    frames: pd.DataFrame

    def __post_init__(self) -> None:
        missing = [c for c in HEAD_COLUMNS if c not in self.heads.columns]
        missing += [c for c in FRAME_COLUMNS if c not in self.frames.columns]
        if missing:
            raise ValueError(f"expected annotation columns {missing}, got none")

    @classmethod
    def empty(cls) -> Annotations:
        """An annotation set with no frames."""
        return cls(_empty_heads(), _empty_frames())

    def __len__(self) -> int:
        return len(self.heads)

    @property
    def videos(self) -> list[str]:
        """Video names in table order."""
        return list(dict.fromkeys(self.frames["video"].astype(str)))

    @cached_property
    def index(self) -> FrameLookup:
        """The per-frame lookup, built once (O(heads)); each frame is then O(log n)."""
        return FrameLookup(self)

    def frame_annotation(self, video: str, frame: str) -> FrameAnnotation:
        """The heads of one frame as arrays (see :class:`FrameAnnotation`).

        Raises:
            KeyError: No such frame.
        """
        return self.index.frame(video, str(frame))


class FrameLookup:
    """Aligned head arrays with per-video bounds and per-video FrameID tables, so that
    one frame's heads are a slice found by binary search."""

    def __init__(self, ann: Annotations) -> None:
        heads = ann.heads
        key = heads["video"].astype(str).to_numpy()
        self.bounds: dict[str, tuple[int, int]] = {}
        if len(key):
            change = np.flatnonzero(key[1:] != key[:-1]) + 1
            self.bounds = {key[s]: (int(s), int(e)) for s, e in
                           zip(np.r_[0, change], np.r_[change, len(key)])}
        self.points = heads[["x", "y"]].to_numpy(np.float64)
        self.boxes = heads[["x1", "y1", "x2", "y2"]].to_numpy(np.float64)
        self.ids = heads["head_id"].to_numpy(np.int64)
        self.fidx = heads["frame_index"].to_numpy()
        fr = ann.frames
        self.frames: dict[str, dict[str, int]] = {}
        for video, frame, index in zip(fr["video"].astype(str), fr["frame"].astype(str),
                                       fr["frame_index"].to_numpy()):
            self.frames.setdefault(video, {})[frame] = int(index)

    def get(self, video: str, frame: str, index: int) -> FrameAnnotation:
        s, e = self.bounds.get(video, (0, 0))
        lo = s + int(np.searchsorted(self.fidx[s:e], index, side="left"))
        hi = s + int(np.searchsorted(self.fidx[s:e], index, side="right"))
        return FrameAnnotation(video, frame, int(index), self.points[lo:hi],
                               self.boxes[lo:hi], self.ids[lo:hi])

    def frame(self, video: str, frame: str) -> FrameAnnotation:
        index = self.frames.get(video, {}).get(frame)
        if index is None:
            raise KeyError(f"no frame {frame!r} in video {video!r}")
        return self.get(video, frame, index)


def tables_from_parsed(parts: Sequence[Parsed]) -> Annotations:
    """Build the heads and frames tables of many parsed files in one go."""
    if not parts:
        return Annotations.empty()
    videos = [p.video for p in parts]
    frame_code: dict[str, int] = {}
    head_frame, head_video, head_line, frame_video, frame_line = [], [], [], [], []
    for v, p in enumerate(parts):
        codes = np.array([frame_code.setdefault(f, len(frame_code)) for f in p.frames],
                         np.int32)
        lines = np.repeat(np.arange(len(p.frames), dtype=np.int32), p.heads_per_line)
        head_line.append(lines)
        head_frame.append(codes[lines])
        head_video.append(np.full(len(lines), v, np.int32))
        frame_video.append(np.full(len(p.frames), v, np.int32))
        frame_line.append(np.arange(len(p.frames), dtype=np.int32))
    table = np.concatenate([p.table for p in parts])
    vcat = pd.Index(videos)
    heads = pd.DataFrame({
        "video": pd.Categorical.from_codes(np.concatenate(head_video), vcat),
        "frame": pd.Categorical.from_codes(np.concatenate(head_frame), pd.Index(list(frame_code))),
        "frame_index": np.concatenate(head_line),
        "head_id": table[:, 0].astype(np.int64),
        **{c: table[:, k + 1] for k, c in enumerate(_COORDS)},
    })
    frames = pd.DataFrame({
        "video": pd.Categorical.from_codes(np.concatenate(frame_video), vcat),
        "frame": pd.Series([f for p in parts for f in p.frames], dtype=object),
        "frame_index": np.concatenate(frame_line),
        "n_heads": np.concatenate([p.heads_per_line for p in parts]).astype(np.int32),
    })
    return Annotations(heads, frames)


def parse_annotations(
    data: bytes | str,
    *,
    video: str,
    path: str | Path | None = None,
    strict: bool = False,
) -> Annotations:
    """Parse the text of one annotation file.

    Args:
        data: File contents (bytes or str). ``\\r\\n`` line endings, trailing spaces
            and blank lines are accepted.
        video: Video name stored in the ``video`` column.
        path: File name used in error messages.
        strict: Turn the warnings for head centers outside their box into errors.

    Returns:
        The parsed :class:`Annotations`.

    Raises:
        AnnotationFormatError: Empty file, wrong number of values for a head, a
            token that is not a number, NaN/inf, a box with ``x2 < x1`` or
            ``y2 < y1``, a non-integer HeadID, a HeadID repeated within one frame or
            a FrameID repeated in the file. The message names file, line and token.

    Example:
        >>> ann = parse_annotations("0001 3 1 2 11 22 6 12", video="test_001")
        >>> ann.heads[["head_id", "x", "y"]].values.tolist()
        [[3.0, 6.0, 12.0]]
    """
    if isinstance(data, str):
        data = data.encode()
    return tables_from_parsed([parse(data, video=video, path=path, strict=strict)])


def _read_parsed(path: Path, video: str | None, strict: bool) -> Parsed:
    if path.exists():  # (a missing file: the message below)
        require_regular_file(path, AnnotationFormatError, "annotation file")
    try:
        data = path.read_bytes()
    except IsADirectoryError:
        raise AnnotationFormatError("expected an annotation file, got a folder",
                                    path=path) from None
    except OSError as exc:
        raise AnnotationFormatError(f"cannot read file ({exc.strerror or exc}; a broken or "
                                    "looping link?)", path=path) from exc
    return parse(data, video=video or path.stem, path=path, strict=strict)


def read_annotations(
    path: str | Path, *, video: str | None = None, strict: bool = False
) -> Annotations:
    """Read one VSCrowd annotation file (``annotations/<video>.txt``).

    Args:
        path: The TXT file.
        video: Video name; defaults to the file stem (``train_001``).
        strict: See :func:`parse_annotations`.

    Raises:
        AnnotationFormatError: If the file is missing, unreadable or malformed.
    """
    return tables_from_parsed([_read_parsed(Path(path), video, strict)])


def read_many(paths: Sequence[str | Path], *, strict: bool = False) -> Annotations:
    """Read several annotation files (one video each) into one table, in order."""
    from concurrent.futures import ThreadPoolExecutor

    # Arrow's parser and numpy release the GIL, so two threads use two cores.
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        parts = list(pool.map(lambda p: _read_parsed(Path(p), None, strict), paths))
    return tables_from_parsed(parts)


# --------------------------------------------------------------------------- writing


def _fmt(v: float) -> str:
    # repr() is the shortest string that reads back to the same double, which is
    # what makes read -> write -> read an identity.
    if v == int(v) and abs(v) < 1e15:
        return str(int(v))
    return repr(float(v))


def format_annotations(ann: Annotations, video: str | None = None) -> str:
    """The official TXT text of one video of ``ann`` (see :func:`write_annotations`)."""
    videos = ann.videos
    if video is None:
        if len(videos) != 1:
            raise ValueError(f"expected one video or video=..., got {len(videos)} videos")
        video = videos[0]
    frames = ann.frames[ann.frames["video"] == video]
    heads = ann.heads[ann.heads["video"] == video]
    vals = heads[["head_id", "x1", "y1", "x2", "y2", "x", "y"]].to_numpy(np.float64)
    idx = heads["frame_index"].to_numpy()
    starts = np.searchsorted(idx, frames["frame_index"].to_numpy(), side="left")
    ends = np.searchsorted(idx, frames["frame_index"].to_numpy(), side="right")
    if not (np.diff(idx) >= 0).all():
        raise ValueError("heads of a video must be ordered by frame_index")
    strs = [_fmt(v) for v in vals.ravel()]
    lines = []
    for fid, s, e in zip(frames["frame"], starts, ends):
        lines.append(" ".join([str(fid), *strs[s * 7:e * 7]]))
    return "\n".join(lines) + "\n"


def write_annotations(ann: Annotations, path: str | Path, video: str | None = None) -> Path:
    """Write one video of ``ann`` in the official TXT format (atomically).

    Values are written in their shortest round-trip form, so reading the written
    file gives back exactly the same table.

    Example:
        >>> import tempfile, pathlib
        >>> ann = parse_annotations("0001 3 1.5 2 11 22 6 12\\n0002\\n", video="v")
        >>> p = pathlib.Path(tempfile.mkdtemp()) / "v.txt"
        >>> _ = write_annotations(ann, p)
        >>> p.read_text()
        '0001 3 1.5 2 11 22 6 12\\n0002\\n'
    """
    path = Path(path)
    atomic_write_text(path, format_annotations(ann, video))
    return path


def iter_frame_annotations(ann: Annotations, frames: pd.DataFrame | None = None
                           ) -> Iterable[FrameAnnotation]:
    """Yield :class:`FrameAnnotation` for each row of ``frames`` (default: all)."""
    frames = ann.frames if frames is None else frames
    lookup = ann.index
    for video, frame, index in zip(frames["video"].astype(str), frames["frame"],
                                   frames["frame_index"]):
        yield lookup.get(video, str(frame), int(index))

