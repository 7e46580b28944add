"""The fast path of the per-image JSON readers (NWPU-Crowd, FDST): typed decoding with
msgspec, as :mod:`vscrowd.eval.fastjson` does for prediction files.

A file of the common shape is decoded straight into typed structs (three times faster
than the standard library plus ``np.asarray`` on the NWPU files); anything else -- a
type the struct does not accept, a missing key, not JSON, a byte-order mark -- gives
None and the reader parses the file with the standard library, whose checks name the
file, key and line. So the fast path only ever accepts files the general reader reads
to the same numbers.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Sequence
from itertools import chain
from typing import TypeVar

import msgspec
import numpy as np

__all__ = ["decode", "decode_all", "rows"]

T = TypeVar("T")

#: What msgspec raises for a file it does not accept (the general reader then decides).
_REFUSED = (msgspec.DecodeError, msgspec.ValidationError, RecursionError, UnicodeDecodeError)


def decode(decoder: msgspec.json.Decoder, data: bytes) -> object | None:
    """``decoder.decode(data)``, or None where msgspec refuses the file."""
    return decode_all(decoder, (data,))[0]


def decode_all(decoder: msgspec.json.Decoder, blobs: Iterable[bytes | None]
               ) -> list[object | None]:
    """:func:`decode` of each of many small files (None stays None), the collector
    paused once for all of them rather than once per file."""
    # Decoding allocates a tuple per point and none of them can form a cycle: with the
    # cyclic garbage collector paused, it does not rescan them again and again.
    out = []
    paused = gc.isenabled()
    gc.disable()
    try:
        for data in blobs:
            try:
                out.append(None if data is None else decoder.decode(data))
            except _REFUSED:
                out.append(None)
    finally:
        if paused:
            gc.enable()
    return out


def rows(items: Sequence[Sequence[float]], width: int) -> np.ndarray:
    """``(len(items), width)`` float64 from tuples of ``width`` numbers each."""
    flat = chain.from_iterable(items)
    return np.fromiter(flat, np.float64, width * len(items)).reshape(-1, width)
