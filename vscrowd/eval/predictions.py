"""``Predictions``: predicted head points as a point set, built from leaderboard records
with every value checked (files: ``prediction_files.py``; format: docs/prediction-format.md).
"""

from __future__ import annotations

import dataclasses
from array import array
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .._moved import renamed_attribute
from ..errors import PredictionFormatError
from ..points import Points

__all__ = ["MAX_COORDINATE", "Predictions", "RecordBuilder"]



@dataclass(frozen=True)
class Predictions(Points):
    """Predicted head points of many frames: a :class:`~vscrowd.Points` with scores.

    ``frames`` has one row per frame record (columns ``video`` and ``frame``, str); a
    frame listed with no points is an explicit "no heads" answer.

    Fields (besides the point set's ``frames`` and ``frame_index``):
        xy: ``(N, 2)`` float64 ``(x, y)`` in original image pixels.
        score: ``(N,)`` float64 confidence, 1.0 where the file gives none.
        track_id: ``(N,)`` int64 track ID of each point (``[x, y, score, track_id]``;
            -1 in videos whose points carry none), or None when no point has one.
        method: Optional method name from the file.
        source: The file read (named in errors).

    Example:
        >>> p = Predictions.from_records([{"video": "test_001", "frame": "0001",
        ...                               "points": [[1, 2, 0.9], [3, 4]]}])
        >>> p.xy.tolist(), p.score.tolist()
        ([[1.0, 2.0], [3.0, 4.0]], [0.9, 1.0])
    """

    method: str | None = None
    source: str | None = field(default=None, compare=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.score is None:
            raise ValueError("expected prediction scores (N,), got None")

    @classmethod
    def from_arrays(cls, frames: pd.DataFrame, frame_index: np.ndarray, points: np.ndarray,
                    scores: np.ndarray, *, track_ids: np.ndarray | None = None,
                    method: str | None = None, source: str | None = None) -> Predictions:
        """From a frame table (``video``, ``frame``) and aligned per-point arrays."""
        return cls(frames, frame_index, points, scores, track_ids, None, method, source)

    # 0.1.0's names, read with a DeprecationWarning for one release.
    points = renamed_attribute("points", "xy")
    scores = renamed_attribute("scores", "score")
    track_ids = renamed_attribute("track_ids", "track_id")

    @classmethod
    def empty(cls) -> Predictions:
        """No frames, no points."""
        base = Points.empty()
        return cls.from_arrays(base.frames, base.frame_index, base.xy, np.empty(0))

    @classmethod
    def from_records(
        cls,
        records: Iterable[Mapping[str, Any]],
        *,
        method: str | None = None,
        source: str | None = None,
        lines: Sequence[int] | None = None,
    ) -> Predictions:
        """Build from ``{"video", "frame", "points": [[x, y(, score)], ...]}`` records.

        Args:
            records: The records, in file order.
            method: Optional method name.
            source: The file they came from (named in errors).
            lines: The file line of each record (JSON Lines, TXT), named in errors
                instead of the record index.

        Raises:
            PredictionFormatError: A record without video/frame, a point with other
                than 2 or 3 numbers, non-numbers (strings, booleans, null), NaN/inf,
                coordinates beyond ±1e9 px, or two records for one frame.
        """
        builder = RecordBuilder(source=source, method=method)
        for i, rec in enumerate(records):
            builder.add(rec, None if lines is None else lines[i])
        return builder.build()

    def rename_videos(self, names: Mapping[str, str]) -> Predictions:
        """A copy whose video names are translated by ``names`` (others kept).

        >>> p = Predictions.from_records([{"video": "0817_1_cut_01", "frame": 1, "points": []}])
        >>> p.rename_videos({"0817_1_cut_01": "train_003"}).frames["video"].tolist()
        ['train_003']
        """
        frames = self.frames.assign(video=[names.get(v, v) for v in self.frames["video"]])
        return dataclasses.replace(self, frames=frames)

    def records(self) -> Iterator[dict[str, Any]]:
        """Yield the JSON records (``points`` as ``[x, y, score]`` lists)."""
        table = np.column_stack([self.xy, self.score]).tolist()
        if self.track_id is not None:
            ids = self.track_id.tolist()
            table = [[*row, int(t)] if t >= 0 else row for row, t in zip(table, ids)]
        for r, (video, frame) in enumerate(zip(self.frames["video"], self.frames["frame"])):
            rows = self.frame_rows(r)
            points = (table[rows] if isinstance(rows, slice)
                      else [table[i] for i in rows.tolist()])
            yield {"video": str(video), "frame": str(frame), "points": points}



class RecordBuilder:
    """Prediction records added one at a time into growing arrays, checked as they come:
    what the streaming readers (JSON Lines, TXT) use so that memory grows with the
    points read, not with Python objects per record.

    >>> b = RecordBuilder()
    >>> b.add({"video": "test_001", "frame": 1, "points": [[1, 2]]})
    >>> b.build().xy.tolist()
    [[1.0, 2.0]]
    """

    def __init__(self, *, source: str | None = None, method: str | None = None) -> None:
        self.source, self.method = source, method
        self._videos: list[str] = []
        self._frames: list[str] = []
        self._counts = array("q")
        self._values = array("d")  # x, y, score, track ID (NaN: none) per point
        self._lines = array("q")
        self._seen: dict[tuple[str, str], int] = {}
        self._names: dict[str, str] = {}  # one string object per video name
        self._tracked: dict[str, tuple[bool, int]] = {}  # video -> (points carry IDs, record)

    def _where(self, i: int) -> str:
        line = self._lines[i]
        return f"line {line}" if line >= 0 else f"predictions[{i}]"

    def add(self, rec: Any, line: int | None = None) -> None:
        """Check and append one record (``line``: its line in the file, for messages).

        Raises:
            PredictionFormatError: See :meth:`Predictions.from_records`.
        """
        i = len(self._videos)

        def fail(msg: str, field: str | None = None) -> None:
            where = (field or "record") if line is not None else (
                f"predictions[{i}]" + (f".{field}" if field else ""))
            raise PredictionFormatError(msg, path=self.source, line=line, field=where)

        if not isinstance(rec, Mapping):
            fail(f"expected an object, got {type(rec).__name__}")
        for key in ("video", "frame"):
            if key not in rec or rec[key] is None:
                fail(f"record has no {key!r}")
        video, frame = rec["video"], rec["frame"]
        if not isinstance(video, str):
            fail(f"expected video as a string, got {video!r}", "video")
        if isinstance(frame, bool) or not isinstance(frame, (str, int)):
            fail(f"expected frame as string or integer, got {frame!r}", "frame")
        video, frame = self._names.setdefault(video, video), str(frame)
        if (video, frame) in self._seen:
            fail(f"duplicate record for {video}/{frame} (also "
                 f"{self._where(self._seen[video, frame])})")
        if "points" not in rec:  # a misspelt key ("Points") was a frame without heads
            fail("record has no 'points' (write \"points\": [] for a frame without heads)")
        pts = _points_array(rec["points"], fail)
        if len(pts):
            has = bool(np.isfinite(pts[0, 3]))
            first = self._tracked.setdefault(video, (has, i))
            if first[0] != has:
                fail(f"points of video {video} carry a track ID in some frames and not in "
                     f"others (compare {self._where(first[1])}); give [x, y, score, "
                     "track_id] everywhere in a video or nowhere")
        self._seen[video, frame] = i
        self._videos.append(video)
        self._frames.append(frame)
        self._counts.append(len(pts))
        self._lines.append(-1 if line is None else line)
        self._values.frombytes(np.ascontiguousarray(pts, np.float64).tobytes())

    def __len__(self) -> int:
        return len(self._videos)

    def build(self) -> Predictions:
        """The :class:`Predictions` of the records added."""
        table = np.frombuffer(self._values, np.float64).reshape(-1, 4)
        ids = table[:, 3]
        track_ids = (np.where(np.isfinite(ids), ids, -1).astype(np.int64)
                     if np.isfinite(ids).any() else None)
        counts = np.frombuffer(self._counts, np.int64) if len(self._counts) else \
            np.zeros(0, np.int64)
        return Predictions.from_arrays(
            pd.DataFrame({"video": pd.Series(self._videos, dtype=object),
                          "frame": pd.Series(self._frames, dtype=object)}),
            np.repeat(np.arange(len(counts), dtype=np.int64), counts),
            np.array(table[:, :2]), np.array(table[:, 2]),
            track_ids=track_ids, method=self.method, source=self.source)


#: Largest |coordinate| accepted (px): far beyond any image, small enough that squared
#: distances stay exact in float64.
MAX_COORDINATE = 1e9


def _points_array(points: Any, fail: Callable[..., None]) -> np.ndarray:
    """``(n, 4)`` float64 array of x, y, score, track ID (NaN when not given);
    ``fail(message, field)`` on bad input. ``points``: a list of ``[x, y(, score(,
    track_id))]`` as files hold them, or an ``(n, 2|3|4)`` numeric array as vscrowd's own
    producers (predict, the baseline, the TXT reader) pass them: no Python object per
    point."""
    if isinstance(points, np.ndarray):
        if points.ndim != 2 or points.shape[1] not in (2, 3, 4) or points.dtype.kind not in "iuf":
            fail(f"expected an (n, 2), (n, 3) or (n, 4) numeric array of points, got "
                 f"{points.dtype} {points.shape}", "points")
        arr = points
    elif not isinstance(points, list):
        fail(f"expected 'points' to be a list, got {type(points).__name__}", "points")
    elif not points:
        return np.empty((0, 4))
    else:
        arr = _list_points(points, fail)
    arr = arr.astype(np.float64)
    if arr.shape[1] == 2:
        arr = np.column_stack([arr, np.ones(len(arr))])
    if arr.shape[1] == 3:
        arr = np.column_stack([arr, np.full(len(arr), np.nan)])
    else:
        _check_track_ids(arr[:, 3], points, fail)
    bad = ~np.isfinite(arr[:, :3])
    bad[:, :2] |= np.abs(arr[:, :2]) > MAX_COORDINATE
    if bad.any():
        j = int(np.argwhere(bad)[0][0])
        fail(f"expected finite numbers (coordinates within ±{MAX_COORDINATE:g} px), got "
             f"{points[j]!r}", f"points[{j}]")
    return arr


def _list_points(points: list, fail: Callable[..., None]) -> np.ndarray:
    """A non-empty list of points as a numeric array (``fail`` names the first bad one)."""
    try:
        arr = np.asarray(points)  # dtype inferred: strings, None or ragged rows show up
    except (ValueError, TypeError, OverflowError):
        arr = None
    numeric = (arr is not None and arr.dtype.kind in "iuf" and arr.ndim == 2
               and arr.shape[1] in (2, 3, 4)
               and not any(type(v) is bool for p in points for v in p))
    if numeric:
        return arr
    _first_bad_point(points, fail)
    lengths = {len(p) for p in points}
    if len(lengths) > 1 and 4 in lengths:
        fail("expected every point of a record to carry a track ID or none", "points")
    return np.array([(*p[:2], p[2] if len(p) >= 3 else 1.0, *p[3:]) for p in points],
                    np.float64)


def _check_track_ids(ids: np.ndarray, points: list, fail: Callable[..., None]) -> None:
    """Track IDs: non-negative integers, each at most once in a frame."""
    bad = ~np.isfinite(ids) | (ids < 0) | (ids != np.round(ids)) | (ids > 2**53)
    if bad.any():
        j = int(np.flatnonzero(bad)[0])
        fail(f"expected a non-negative integer track ID, got {points[j][3]!r}", f"points[{j}]")
    uniq, first, counts = np.unique(ids, return_index=True, return_counts=True)
    if (counts > 1).any():
        dup = uniq[counts > 1][0]
        j = int(np.flatnonzero(ids == dup)[1])
        fail(f"track ID {int(dup)} appears twice in this frame", f"points[{j}]")


def _first_bad_point(points: list, fail: Callable[..., None]) -> None:
    """Name the first point that is not 2 to 4 plain numbers (only runs on error)."""
    for j, p in enumerate(points):
        if not isinstance(p, (list, tuple)) or len(p) not in (2, 3, 4):
            fail(f"expected a point [x, y], [x, y, score] or [x, y, score, track_id], got "
                 f"{p!r}", f"points[{j}]")
        for v in p:
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                fail(f"expected numbers, got {p!r}", f"points[{j}]")
            try:
                float(v)
            except OverflowError:
                fail(f"expected numbers within float range, got {p!r}", f"points[{j}]")
