"""The leaderboard prediction files: read and write JSON, JSON Lines and per-video TXT.

See docs/prediction-format.md. Every reader returns :class:`Predictions`, the one type
the evaluator consumes; errors name the file, line and field.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import msgspec
import numpy as np
import pandas as pd

from .._files import require_regular_file
from .._io import atomic_open, ensure_parent
from .._text import decode_utf8, finite_numbers, read_bytes, strip_bom
from ..errors import OutputError, PredictionFormatError
from .fastjson import decode_common
from .predictions import Predictions, RecordBuilder

# One JSON Lines record: decoded by msgspec (fast, no intermediate text); anything it
# refuses is decoded again by the standard library, whose message names the problem.
_LINE = msgspec.json.Decoder()

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "read_predictions", "write_predictions"]

FORMAT_NAME = "vscrowd-predictions"
FORMAT_VERSION = 1
PredictionFileFormat = Literal["json", "jsonl", "txt"]


def _loads(text: str, path: Path, line: int | None = None) -> Any:
    """``json.loads`` whose every failure is a located PredictionFormatError."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise PredictionFormatError(f"not valid JSON: {exc.msg} (column {exc.colno})",
                                    path=path, line=line or exc.lineno) from None
    except RecursionError:
        raise PredictionFormatError("JSON nested too deeply", path=path, line=line) from None
    except ValueError as exc:  # e.g. an integer of more than 4300 digits
        raise PredictionFormatError(f"not valid JSON: {str(exc).splitlines()[0][:120]}",
                                    path=path, line=line) from None


def _read_json(path: Path) -> Predictions:
    data = read_bytes(path, PredictionFormatError, "prediction file")
    # msgspec reads the UTF-8 bytes itself (no decoded copy of a large file); anything it
    # does not accept goes to the general reader, whose errors name file, line and field.
    fast = decode_common(data[3:] if data.startswith(b"\xef\xbb\xbf") else data,
                         source=str(path))
    if fast is not None and fast.format == FORMAT_NAME and fast.version == FORMAT_VERSION:
        return Predictions.from_arrays(fast.frames, fast.frame_index, fast.xy, fast.score,
                                       method=fast.method, source=str(path))
    doc = _loads(decode_utf8(data, path, PredictionFormatError), path)
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


def _check_header(doc: Mapping[str, Any], path: Path, line: int | None = None) -> None:
    """A header's format and version (``line``: a JSON Lines header's line number)."""
    fmt = doc.get("format", FORMAT_NAME)
    if fmt != FORMAT_NAME:
        raise PredictionFormatError(f"expected format {FORMAT_NAME!r}, got {fmt!r}",
                                    path=path, line=line, field="format")
    version = doc.get("version", FORMAT_VERSION)
    if version != FORMAT_VERSION:
        raise PredictionFormatError(f"expected version {FORMAT_VERSION}, got {version!r}",
                                    path=path, line=line, field="version")


def _lines(path: Path):
    """``(line number, bytes)`` of a file, one line at a time (BOM removed)."""
    with open(require_regular_file(path, PredictionFormatError, "prediction file"),
              "rb") as fh:
        for no, line in enumerate(fh, start=1):
            yield no, strip_bom(line) if no == 1 else line


def _read_jsonl(path: Path) -> Predictions:
    """Line by line into growing arrays: memory follows the points, not the text."""
    builder, headers = RecordBuilder(source=str(path)), 0
    for no, raw in _lines(path):
        if not raw.strip():
            continue
        try:
            obj = _LINE.decode(raw)
        except (msgspec.DecodeError, RecursionError, UnicodeDecodeError):
            obj = _loads(decode_utf8(raw, path, PredictionFormatError, no), path, no)
        if isinstance(obj, dict) and "points" not in obj and ("format" in obj
                                                              or "version" in obj):
            _check_header(obj, path, no)  # optional header line
            builder.method = obj.get("method", builder.method)
            headers += 1
            continue
        builder.add(obj, no)
    if not len(builder):
        what = f"{headers} header line(s) only" if headers else "the file is empty"
        raise PredictionFormatError(f"no prediction records ({what})", path=path)
    return builder.build()


def _read_txt_folder(path: Path) -> Predictions:
    files = sorted(path.glob("*.txt"))
    if not files:
        raise PredictionFormatError("folder holds no per-video *.txt prediction files",
                                    path=path)
    preds = []
    for f in files:
        builder = RecordBuilder(source=str(f))
        for no, raw in _lines(f):
            toks = decode_utf8(raw, f, PredictionFormatError, no).split()
            if not toks:
                continue
            vals = toks[1:]
            if len(vals) % 3:
                raise PredictionFormatError(
                    f"expected triples 'x y score' after the FrameID, got {len(vals)} values",
                    path=f, line=no)
            arr = finite_numbers(vals, PredictionFormatError, f, no).reshape(-1, 3)
            builder.add({"video": f.stem, "frame": toks[0], "points": arr}, no)
        preds.append(builder.build())
    return _concat(preds, source=str(path))


def _concat(parts: list[Predictions], source: str) -> Predictions:
    """One Predictions from per-file parts (their frames are disjoint by video)."""
    offsets = np.cumsum([0] + [len(p.frames) for p in parts])
    return Predictions.from_arrays(
        pd.concat([p.frames for p in parts], ignore_index=True),
        np.concatenate([p.frame_index + o for p, o in zip(parts, offsets)]),
        np.concatenate([p.xy for p in parts]), np.concatenate([p.score for p in parts]),
        source=source)


def read_predictions(path: str | Path) -> Predictions:
    """Read a prediction file: ``.json``, ``.jsonl``, a folder of per-video ``.txt``, or
    one NWPU-Crowd localization ``.txt`` file (``id num (x y)*``, :mod:`.loc_files`).

    Raises:
        PredictionFormatError: Unreadable or malformed input (names file, line, field).
    """
    path = Path(path)
    if path.is_dir():
        return _read_txt_folder(path)
    if not path.exists():
        raise PredictionFormatError("no such file or folder", path=path)
    require_regular_file(path, PredictionFormatError, "prediction file")
    if path.suffix == ".jsonl":
        return _read_jsonl(path)
    from .loc_files import is_loc_predictions, read_loc_predictions

    if is_loc_predictions(path):
        return read_loc_predictions(path)
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
