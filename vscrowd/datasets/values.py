"""Checks on the numbers a dataset reader returns, shared by every reader: coordinates
are finite (a NaN or an infinity reaches the metrics as a crash or a silently wrong
score), frame sizes fit the tables' ``Int32`` columns and are positive.

Each reader calls these on its own arrays and names its own file and field (a JSON
key, a MATLAB variable, a line); the dataset tables check once more, naming the image,
for any reader that does not.
"""

from __future__ import annotations

import numpy as np

__all__ = ["MAX_SIDE", "locate_row", "nonfinite_row", "valid_side"]

#: The largest frame side the tables hold (``Int32`` width and height columns).
MAX_SIDE = 2**31 - 1


def nonfinite_row(values: np.ndarray) -> int | None:
    """The index of the first row of ``values`` (``(n, ...)`` float) holding a NaN or an
    infinity; None when every value is finite (an empty array included)."""
    finite = np.isfinite(values)
    if finite.all():
        return None
    return int(np.flatnonzero(~finite.reshape(len(values), -1).all(1))[0])


def valid_side(side: int) -> bool:
    """Whether ``side`` (a width or height in pixels) is from 1 to :data:`MAX_SIDE`."""
    return 0 < side <= MAX_SIDE


def locate_row(counts: np.ndarray | list[int], row: int) -> tuple[int, int]:
    """``(file, row within it)`` of row ``row`` of the concatenated rows of files that
    hold ``counts[k]`` rows each (``row`` < ``sum(counts)``)."""
    ends = np.cumsum(counts)
    k = int(np.searchsorted(ends, row, side="right"))
    return k, row - int(ends[k] - counts[k])
