"""FrameIDs: the one place where a FrameID given by a user or a file is matched to a
frame of a table (the exact string first, then the frame number)."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np

__all__ = ["FrameResolver", "frame_number"]


def frame_number(frame: str | int) -> int | None:
    """The value a FrameID is matched by when it is not found as written.

    ``"0001"``, ``"1"`` and ``1`` all give 1; anything but digits gives None.

    >>> frame_number("0007"), frame_number(7), frame_number("a7")
    (7, 7, None)
    """
    if isinstance(frame, int) and not isinstance(frame, bool):
        return frame
    s = str(frame)
    return int(s) if s.isdigit() else None



class FrameResolver:
    """Rows of a frame table by ``(video, FrameID)``: the exact string first, then the
    frame *number* (``7``, ``"7"`` and ``"0007"`` name one frame; the first such row
    wins if a table holds several).

    >>> r = FrameResolver(["v", "v"], ["0001", "0002"])
    >>> r.row("v", 2), r.row("v", "0002"), r.row("v", "9"), r.row("w", 1)
    (1, 1, None, None)
    """

    def __init__(self, videos: Iterable[str], frames: Iterable[str | int]) -> None:
        self._videos, self._frames = _as_list(videos), [str(f) for f in _as_list(frames)]
        keys = list(zip(self._videos, self._frames))
        # dict() keeps the last of equal keys: feed it reversed so the first row wins.
        self._exact = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1)))
        self._by_value_cache: dict[tuple[str, int], int] | None = None

    @property
    def _by_value(self) -> dict[tuple[str, int], int]:
        """Built on the first lookup that the exact strings miss."""
        if self._by_value_cache is None:
            self._by_value_cache = {}
            for i, (v, f) in enumerate(zip(self._videos, self._frames)):
                value = frame_number(f)
                if value is not None:
                    self._by_value_cache.setdefault((v, value), i)
        return self._by_value_cache

    def row(self, video: str, frame: str | int) -> int | None:
        """The row of frame ``frame`` of ``video``, or None."""
        i = self._exact.get((video, str(frame)))
        if i is None:
            value = frame_number(frame)
            if value is not None:
                i = self._by_value.get((video, value))
        return i

    def rows(self, videos: Iterable[str], frames: Iterable[str | int]) -> np.ndarray:
        """``(n,)`` int64 rows, -1 where a frame is unknown."""
        vs, fs = _as_list(videos), [str(f) for f in _as_list(frames)]
        exact = self._exact
        out = np.array([exact.get(k, -1) for k in zip(vs, fs)], np.int64)
        for j in np.flatnonzero(out < 0):  # the rare FrameIDs not written as in the table
            i = self.row(vs[j], fs[j])
            out[j] = -1 if i is None else i
        return out


def _as_list(values: Iterable) -> list:
    """A list of the values (``tolist`` first: iterating an Arrow-backed column is slow)."""
    return values.tolist() if hasattr(values, "tolist") else list(values)
