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
        self._exact: dict[tuple[str, str], int] = {}
        self._by_value: dict[tuple[str, int], int] = {}
        for i, (v, f) in enumerate(zip(videos, frames)):
            self._exact.setdefault((v, str(f)), i)
            value = frame_number(f)
            if value is not None:
                self._by_value.setdefault((v, value), i)

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
        return np.array([-1 if (i := self.row(v, f)) is None else i
                         for v, f in zip(videos, frames)], np.int64)
