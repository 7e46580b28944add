"""The leaderboard prediction format: read and write JSON, JSONL and per-video TXT.

See docs/prediction-format.md. All readers return :class:`Predictions`, the one
type the evaluator consumes.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._io import atomic_open, ensure_parent
from .._text import read_text
from ..errors import OutputError, PredictionFormatError
from .fastjson import decode_common

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "Predictions", "read_predictions",
           "write_predictions"]

FORMAT_NAME = "vscrowd-predictions"
FORMAT_VERSION = 1
PredictionFileFormat = Literal["json", "jsonl", "txt"]


@dataclass(frozen=True)
class Predictions:
    """Predicted head points of many frames as aligned arrays.

    Attributes:
        frames: One row per frame record, columns ``video`` and ``frame`` (str).
            A frame listed here with no points is an explicit "no heads" answer.
        frame_index: ``(N,)`` int64, row of ``frames`` each point belongs to.
        points: ``(N, 2)`` float64 ``(x, y)`` in original image pixels.
        scores: ``(N,)`` float64 confidence (1.0 where the file gives none).
        method: Optional method name from the file.
        track_ids: ``(N,)`` int64 track ID of each point (``[x, y, score, track_id]``;
            -1 in videos whose points carry none), or None when no point has one.

    Example:
        >>> p = Predictions.from_records([{"video": "test_001", "frame": "0001",
        ...                               "points": [[1, 2, 0.9], [3, 4]]}])
        >>> p.points.tolist(), p.scores.tolist()
        ([[1.0, 2.0], [3.0, 4.0]], [0.9, 1.0])
    """

    frames: pd.DataFrame
    frame_index: np.ndarray
    points: np.ndarray
    scores: np.ndarray
    method: str | None = None
    source: str | None = field(default=None, compare=False)
    track_ids: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.frame_index)
        if self.points.shape != (n, 2) or self.scores.shape != (n,):
            raise ValueError(f"expected points (N, 2) and scores (N,) with N={n}, "
                             f"got {self.points.shape} and {self.scores.shape}")
        if self.track_ids is not None and self.track_ids.shape != (n,):
            raise ValueError(f"expected track_ids (N,) with N={n}, got "
                             f"{self.track_ids.shape}")
        if n and (self.frame_index.min() < 0 or self.frame_index.max() >= len(self.frames)):
            raise ValueError("frame_index out of range of frames")

    def __len__(self) -> int:
        return len(self.frame_index)

    @classmethod
    def empty(cls) -> Predictions:
        """No frames, no points."""
        return cls(pd.DataFrame({"video": pd.Series([], dtype=object),
                                 "frame": pd.Series([], dtype=object)}),
                   np.empty(0, np.int64), np.empty((0, 2)), np.empty(0), None)

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
        videos, frames, chunks, counts = [], [], [], []
        seen: dict[tuple[str, str], int] = {}
        tracked: dict[str, tuple[bool, int]] = {}  # video -> (points carry IDs, record)
        for i, rec in enumerate(records):
            line = None if lines is None else lines[i]

            def fail(msg: str, field: str | None = None, line=line, i=i) -> None:
                where = (field or "record") if line is not None else (
                    f"predictions[{i}]" + (f".{field}" if field else ""))
                raise PredictionFormatError(msg, path=source, line=line, field=where)

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
            frame = str(frame)
            if (video, frame) in seen:
                first = seen[video, frame]
                also = (f"line {lines[first]}" if lines is not None
                        else f"predictions[{first}]")
                fail(f"duplicate record for {video}/{frame} (also {also})")
            seen[video, frame] = i
            pts = _points_array(rec.get("points", []), fail)
            if len(pts):
                has = bool(np.isfinite(pts[0, 3]))
                first = tracked.setdefault(video, (has, i))
                if first[0] != has:
                    other = (f"line {lines[first[1]]}" if lines is not None
                             else f"predictions[{first[1]}]")
                    fail(f"points of video {video} carry a track ID in some frames and not "
                         f"in others (compare {other}); give [x, y, score, track_id] "
                         "everywhere in a video or nowhere")
            videos.append(video)
            frames.append(frame)
            chunks.append(pts)
            counts.append(len(pts))
        table = np.concatenate(chunks) if chunks else np.empty((0, 4))
        ids = table[:, 3]
        track_ids = (np.where(np.isfinite(ids), ids, -1).astype(np.int64)
                     if np.isfinite(ids).any() else None)
        return cls(
            pd.DataFrame({"video": pd.Series(videos, dtype=object),
                          "frame": pd.Series(frames, dtype=object)}),
            np.repeat(np.arange(len(counts), dtype=np.int64), counts),
            np.ascontiguousarray(table[:, :2]), np.ascontiguousarray(table[:, 2]),
            method, source, track_ids,
        )

    def rename_videos(self, names: Mapping[str, str]) -> Predictions:
        """A copy whose video names are translated by ``names`` (others kept).

        >>> p = Predictions.from_records([{"video": "0817_1_cut_01", "frame": 1, "points": []}])
        >>> p.rename_videos({"0817_1_cut_01": "train_003"}).frames["video"].tolist()
        ['train_003']
        """
        frames = self.frames.assign(video=[names.get(v, v) for v in self.frames["video"]])
        return Predictions(frames, self.frame_index, self.points, self.scores, self.method,
                           self.source, self.track_ids)

    def records(self) -> Iterator[dict[str, Any]]:
        """Yield the JSON records (``points`` as ``[x, y, score]`` lists)."""
        order = np.argsort(self.frame_index, kind="stable")
        fi = self.frame_index[order]
        cols = [self.points[order], self.scores[order]]
        table = np.column_stack(cols).tolist()
        if self.track_ids is not None:
            ids = self.track_ids[order].tolist()
            table = [[*row, int(t)] if t >= 0 else row for row, t in zip(table, ids)]
        bounds = np.searchsorted(fi, np.arange(len(self.frames) + 1))
        for r, (video, frame) in enumerate(zip(self.frames["video"], self.frames["frame"])):
            yield {"video": str(video), "frame": str(frame),
                   "points": table[bounds[r]:bounds[r + 1]]}

    def to_pandas(self) -> pd.DataFrame:
        """One row per point: ``video, frame, x, y, score``."""
        return pd.DataFrame({
            "video": self.frames["video"].to_numpy()[self.frame_index],
            "frame": self.frames["frame"].to_numpy()[self.frame_index],
            "x": self.points[:, 0], "y": self.points[:, 1], "score": self.scores,
        })


#: Largest |coordinate| accepted (px): far beyond any image, small enough that squared
#: distances stay exact in float64.
MAX_COORDINATE = 1e9


def _points_array(points: Any, fail: Callable[..., None]) -> np.ndarray:
    """``(n, 4)`` float64 array of x, y, score, track ID (NaN when not given);
    ``fail(message, field)`` on bad input."""
    if not isinstance(points, list):
        fail(f"expected 'points' to be a list, got {type(points).__name__}", "points")
    if not points:
        return np.empty((0, 4))
    try:
        arr = np.asarray(points)  # dtype inferred: strings, None or ragged rows show up
    except (ValueError, TypeError, OverflowError):
        arr = None
    numeric = (arr is not None and arr.dtype.kind in "iuf" and arr.ndim == 2
               and arr.shape[1] in (2, 3, 4)
               and not any(type(v) is bool for p in points for v in p))
    if not numeric:
        _first_bad_point(points, fail)
        lengths = {len(p) for p in points}
        if len(lengths) > 1 and 4 in lengths:
            fail("expected every point of a record to carry a track ID or none", "points")
        arr = np.array([(*p[:2], p[2] if len(p) >= 3 else 1.0, *p[3:]) for p in points],
                       np.float64)
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


def _loads(text: str, path: Path, line: int | None = None) -> Any:
    """``json.loads`` whose every failure is a located PredictionFormatError."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PredictionFormatError(f"not valid JSON: {exc.msg} (column {exc.colno})",
                                    path=path, line=line or exc.lineno) from None
    except RecursionError:
        raise PredictionFormatError("JSON nested too deeply", path=path, line=line) from None


def _read_json(path: Path) -> Predictions:
    text = read_text(path, PredictionFormatError, "prediction file")  # read and decoded once
    fast = decode_common(text)
    if fast is not None and fast[5] == FORMAT_NAME and fast[6] == FORMAT_VERSION:
        frames, frame_index, xy, scores, method, _fmt, _version = fast
        return Predictions(frames, frame_index, xy, scores, method, str(path))
    doc = _loads(text, path)
    if isinstance(doc, list):  # a bare list of records is accepted too
        doc = {"format": FORMAT_NAME, "version": FORMAT_VERSION, "predictions": doc}
    if not isinstance(doc, dict):
        raise PredictionFormatError(f"expected a JSON object, got {type(doc).__name__}",
                                    path=path)
    _check_header(doc, path)
    if "predictions" not in doc or not isinstance(doc["predictions"], list):
        raise PredictionFormatError("expected a 'predictions' list", path=path,
                                    field="predictions")
    return Predictions.from_records(doc["predictions"], method=doc.get("method"),
                                    source=str(path))


def _check_header(doc: Mapping[str, Any], path: Path) -> None:
    fmt = doc.get("format", FORMAT_NAME)
    if fmt != FORMAT_NAME:
        raise PredictionFormatError(f"expected format {FORMAT_NAME!r}, got {fmt!r}",
                                    path=path, field="format")
    version = doc.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise PredictionFormatError(f"expected version {FORMAT_VERSION}, got {version!r}",
                                    path=path, field="version")


def _read_jsonl(path: Path) -> Predictions:
    method, records, lines = None, [], []
    text = read_text(path, PredictionFormatError, "prediction file")
    for no, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        obj = _loads(line, path, no)
        if isinstance(obj, dict) and "points" not in obj and ("format" in obj
                                                              or "version" in obj):
            _check_header(obj, path)  # optional header line
            method = obj.get("method", method)
            continue
        records.append(obj)
        lines.append(no)
    if not records:
        raise PredictionFormatError("no prediction records (the file is empty)", path=path)
    return Predictions.from_records(records, method=method, source=str(path), lines=lines)


def _read_txt_folder(path: Path) -> Predictions:
    files = sorted(path.glob("*.txt"))
    if not files:
        raise PredictionFormatError("folder holds no per-video *.txt prediction files",
                                    path=path)
    preds = []
    for f in files:
        records, lines = [], []
        for no, line in enumerate(read_text(f, PredictionFormatError,
                                            "prediction file").splitlines(), start=1):
            toks = line.split()
            if not toks:
                continue
            vals = toks[1:]
            if len(vals) % 3:
                raise PredictionFormatError(
                    f"expected triples 'x y score' after the FrameID, got {len(vals)} values",
                    path=f, line=no)
            try:
                arr = np.array(vals, dtype=np.float64).reshape(-1, 3)
            except ValueError:
                bad = next(v for v in vals if not _is_number(v))
                raise PredictionFormatError(f"expected a number, got {bad!r}", path=f,
                                            line=no) from None
            records.append({"video": f.stem, "frame": toks[0], "points": arr.tolist()})
            lines.append(no)
        preds.append(Predictions.from_records(records, source=str(f), lines=lines))
    return _concat(preds, source=str(path))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _concat(parts: list[Predictions], source: str) -> Predictions:
    """One Predictions from per-file parts (their frames are disjoint by video)."""
    offsets = np.cumsum([0] + [len(p.frames) for p in parts])
    return Predictions(
        pd.concat([p.frames for p in parts], ignore_index=True),
        np.concatenate([p.frame_index + o for p, o in zip(parts, offsets)]),
        np.concatenate([p.points for p in parts]), np.concatenate([p.scores for p in parts]),
        None, source)


def read_predictions(path: str | Path) -> Predictions:
    """Read a prediction file: ``.json``, ``.jsonl`` or a folder of per-video ``.txt``.

    Raises:
        PredictionFormatError: Unreadable or malformed input (names file, line, field).
    """
    path = Path(path)
    if path.is_dir():
        return _read_txt_folder(path)
    if not path.exists():
        raise PredictionFormatError("no such file or folder", path=path)
    if path.suffix == ".jsonl":
        return _read_jsonl(path)
    return _read_json(path)


def _num(v: float) -> float | int:
    return int(v) if v == int(v) and abs(v) < 2**53 else v


def write_predictions(
    preds: Predictions,
    path: str | Path,
    *,
    format: PredictionFileFormat | None = None,
    method: str | None = None,
) -> Path:
    """Write predictions as JSON (default), JSONL or a folder of per-video TXT files.

    The format follows ``format`` or the suffix of ``path`` (``.json``, ``.jsonl``;
    anything else with ``format="txt"`` is a folder). Files are written atomically.
    """
    path = Path(path)
    fmt = format or {".json": "json", ".jsonl": "jsonl"}.get(path.suffix)
    if fmt not in ("json", "jsonl", "txt"):
        raise OutputError(f"expected format json, jsonl or txt (or a .json/.jsonl path), "
                          f"got {format or path.suffix!r}")
    method = method if method is not None else preds.method
    if fmt == "json":
        header = {"format": FORMAT_NAME, "version": FORMAT_VERSION}
        if method:
            header["method"] = method
        with atomic_open(path, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(header)[:-1] + ', "predictions": [\n')
            for i, rec in enumerate(preds.records()):
                fh.write(("" if i == 0 else ",\n") + json.dumps(rec))
            fh.write("\n]}\n")
    elif fmt == "jsonl":
        with atomic_open(path, "w", encoding="utf-8") as fh:
            head = {"format": FORMAT_NAME, "version": FORMAT_VERSION}
            if method:
                head["method"] = method
            fh.write(json.dumps(head) + "\n")
            for rec in preds.records():
                fh.write(json.dumps(rec) + "\n")
    else:
        if path.exists() and not path.is_dir():
            raise OutputError(f"{path} exists and is not a folder")
        ensure_parent(path / "x")
        by_video: dict[str, list[str]] = {}
        for rec in preds.records():
            vals = " ".join(repr(float(v)) if not float(v).is_integer() else str(_num(v))
                            for p in rec["points"] for v in p)
            by_video.setdefault(rec["video"], []).append(f"{rec['frame']} {vals}".rstrip())
        for video, lines in by_video.items():
            with atomic_open(path / f"{video}.txt", "w", encoding="utf-8") as fh:
                fh.write("\n".join(lines) + "\n")
    return path


