"""The fast path of the JSON prediction reader (msgspec, typed decoding).

The common file -- a header and records whose points are all ``[x, y, score]`` -- is
decoded straight into typed records, five to six times faster than the standard
library, with the same rules (strings, booleans and nulls are rejected by the types).
Anything else -- another point length, a malformed or unusual file, any rule broken --
returns None, and the caller reads the file with the general reader, whose messages
name the problem.
"""

from __future__ import annotations

import msgspec
import numpy as np
import pandas as pd

from .predictions import MAX_COORDINATE

__all__ = ["decode_common"]

class _Record(msgspec.Struct):
    video: str
    frame: str | int
    points: list[tuple[float, float, float]] = []


class _Document(msgspec.Struct):
    predictions: list[_Record]
    format: str = "vscrowd-predictions"
    version: int = 1
    method: str | None = None


_DECODER = msgspec.json.Decoder(_Document)


def decode_common(data: str | bytes):
    """``(frames, frame_index, xy, scores, method, format, version)`` or None."""
    try:
        doc = _DECODER.decode(data)
    except (msgspec.DecodeError, msgspec.ValidationError, RecursionError):
        return None
    recs = doc.predictions
    frames = pd.DataFrame({
        "video": pd.Series([r.video for r in recs], dtype=object),
        "frame": pd.Series([str(r.frame) for r in recs], dtype=object)})
    if frames.duplicated().any():
        return None  # the general reader names the duplicate
    counts = np.fromiter((len(r.points) for r in recs), np.int64, len(recs))
    flat = [p for r in recs for p in r.points]
    table = np.array(flat, np.float64).reshape(-1, 3)
    if not np.isfinite(table).all() or (np.abs(table[:, :2]) > MAX_COORDINATE).any():
        return None
    return (frames, np.repeat(np.arange(len(recs), dtype=np.int64), counts),
            np.ascontiguousarray(table[:, :2]), np.ascontiguousarray(table[:, 2]),
            doc.method, doc.format, doc.version)
