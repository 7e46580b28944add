"""The leaderboard prediction format: read and write JSON, JSONL and per-video TXT.

See docs/prediction-format.md. All readers return :class:`Predictions`, the one
type the evaluator consumes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._io import atomic_open, ensure_parent
from ..errors import OutputError, PredictionFormatError

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

    def __post_init__(self) -> None:
        n = len(self.frame_index)
        if self.points.shape != (n, 2) or self.scores.shape != (n,):
            raise ValueError(f"expected points (N, 2) and scores (N,) with N={n}, "
                             f"got {self.points.shape} and {self.scores.shape}")
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
    ) -> Predictions:
        """Build from ``{"video", "frame", "points": [[x, y(, score)], ...]}`` records.

        Raises:
            PredictionFormatError: A record without video/frame, a point with other
                than 2 or 3 numbers, NaN/inf/None values, or two records for one frame.
        """
        videos, frames, chunks, counts = [], [], [], []
        seen: dict[tuple[str, str], int] = {}
        for i, rec in enumerate(records):
            where = f"predictions[{i}]"
            if not isinstance(rec, Mapping):
                raise PredictionFormatError(f"expected an object, got {type(rec).__name__}",
                                            path=source, field=where)
            for key in ("video", "frame"):
                if key not in rec or rec[key] is None:
                    raise PredictionFormatError(f"record has no {key!r}", path=source,
                                                field=where)
            video, frame = str(rec["video"]), rec["frame"]
            if isinstance(frame, bool) or not isinstance(frame, (str, int)):
                raise PredictionFormatError(f"expected frame as string or integer, got "
                                            f"{frame!r}", path=source, field=where)
            frame = str(frame)
            if (video, frame) in seen:
                first = seen[video, frame]
                raise PredictionFormatError(
                    f"duplicate record for {video}/{frame} (also predictions[{first}])",
                    path=source, field=where)
            seen[video, frame] = i
            pts = _points_array(rec.get("points", []), source, where)
            videos.append(video)
            frames.append(frame)
            chunks.append(pts)
            counts.append(len(pts))
        table = np.concatenate(chunks) if chunks else np.empty((0, 3))
        return cls(
            pd.DataFrame({"video": pd.Series(videos, dtype=object),
                          "frame": pd.Series(frames, dtype=object)}),
            np.repeat(np.arange(len(counts), dtype=np.int64), counts),
            np.ascontiguousarray(table[:, :2]), np.ascontiguousarray(table[:, 2]),
            method, source,
        )

    def records(self) -> Iterator[dict[str, Any]]:
        """Yield the JSON records (``points`` as ``[x, y, score]`` lists)."""
        order = np.argsort(self.frame_index, kind="stable")
        fi = self.frame_index[order]
        table = np.column_stack([self.points[order], self.scores[order]]).tolist()
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


def _points_array(points: Any, source, where) -> np.ndarray:
    """``(n, 3)`` float64 array of x, y, score with clear errors."""
    if not isinstance(points, list):
        raise PredictionFormatError(f"expected 'points' to be a list, got "
                                    f"{type(points).__name__}", path=source, field=where)
    if not points:
        return np.empty((0, 3))
    try:
        arr = np.array(points, dtype=np.float64)
    except (ValueError, TypeError):
        arr = None
    if arr is None or arr.ndim != 2 or arr.shape[1] not in (2, 3):
        for j, p in enumerate(points):  # slow path: find the offending point
            if not isinstance(p, (list, tuple)) or len(p) not in (2, 3):
                raise PredictionFormatError(
                    f"expected a point [x, y] or [x, y, score], got {p!r}",
                    path=source, field=f"{where}.points[{j}]")
            for v in p:
                if isinstance(v, bool) or not isinstance(v, (int, float)):
                    raise PredictionFormatError(f"expected numbers, got {p!r}", path=source,
                                                field=f"{where}.points[{j}]")
        mixed = np.empty((len(points), 3))
        for j, p in enumerate(points):
            mixed[j] = (p[0], p[1], p[2] if len(p) == 3 else 1.0)
        arr = mixed
    if arr.shape[1] == 2:
        arr = np.column_stack([arr, np.ones(len(arr))])
    bad = ~np.isfinite(arr)
    if bad.any():
        j, c = np.argwhere(bad)[0]
        raise PredictionFormatError(f"expected finite numbers, got {points[j]!r}",
                                    path=source, field=f"{where}.points[{j}]")
    return arr


def _json_error(exc: json.JSONDecodeError, path: Path) -> PredictionFormatError:
    return PredictionFormatError(f"not valid JSON: {exc.msg} (column {exc.colno})",
                                 path=path, line=exc.lineno)


def _read_json(path: Path) -> Predictions:
    try:
        with open(path, "rb") as fh:
            doc = json.load(fh)
    except json.JSONDecodeError as exc:
        raise _json_error(exc, path) from exc
    except UnicodeDecodeError as exc:
        raise PredictionFormatError("not a UTF-8 JSON file", path=path) from exc
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
    records, method = [], None

    def lines() -> Iterator[dict]:
        nonlocal method
        with open(path, encoding="utf-8") as fh:
            for no, line in enumerate(fh, start=1):
                if not line.strip():
                    continue
                try:
                    obj = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise PredictionFormatError(f"not valid JSON: {exc.msg}", path=path,
                                                line=no) from exc
                if isinstance(obj, dict) and "predictions" not in obj and "points" not in obj \
                        and ("format" in obj or "version" in obj):
                    _check_header(obj, path)  # optional header line
                    method = obj.get("method", method)
                    continue
                yield obj

    records = list(lines())
    return Predictions.from_records(records, method=method, source=str(path))


def _read_txt_folder(path: Path) -> Predictions:
    files = sorted(path.glob("*.txt"))
    if not files:
        raise PredictionFormatError("folder holds no per-video *.txt prediction files",
                                    path=path)
    records = []
    for f in files:
        for no, line in enumerate(f.read_text(encoding="utf-8").splitlines(), start=1):
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
            except ValueError as exc:
                raise PredictionFormatError(f"expected numbers: {exc}", path=f,
                                            line=no) from exc
            records.append({"video": f.stem, "frame": toks[0], "points": arr.tolist()})
    return Predictions.from_records(records, source=str(path))


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


