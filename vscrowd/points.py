"""``Points``: head points in frames, the one type that prediction readers, the
evaluator, overlays and the tracker pass around (a frame's annotations keep their
per-frame view, :class:`~vscrowd.datasets.annotations.FrameAnnotation`).

A point set is a frozen dataclass of aligned arrays (supervision's ``Detections``, for
points): a frame table (one row per frame) and, per point, its frame row, position and
optional score, track ID and box. Per-frame access is O(1) after one stable sort
(CSR offsets). :class:`~vscrowd.eval.GroundTruth` and :class:`~vscrowd.eval.Predictions`
are point sets with the fields their role requires.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from .frameids import FrameResolver

__all__ = ["FrameResolver", "Points"]

P = TypeVar("P", bound="Points")


def _optional(value: np.ndarray | None, shape: tuple[int, ...], dtype, name: str
              ) -> np.ndarray | None:
    if value is None:
        return None
    arr = np.asarray(value, dtype)
    if arr.shape != shape:
        raise ValueError(f"expected {name} of shape {shape}, got {arr.shape}")
    return arr


@dataclass(frozen=True)
class Points:
    """Head points in frames, as aligned arrays.

    Attributes:
        frames: One row per frame; columns ``video`` and ``frame`` (str), optionally
            ``width`` and ``height`` (float, NaN where unknown). A frame with no points
            is a frame with no heads.
        frame_index: ``(N,)`` int64 row of ``frames`` of each point.
        xy: ``(N, 2)`` float64 ``(x, y)`` in image pixels.
        score: ``(N,)`` float64 confidence, or None.
        track_id: ``(N,)`` int64 track / head ID (-1: none), or None.
        box: ``(N, 4)`` float64 ``x1, y1, x2, y2``, or None.

    Example:
        >>> pts = Points.from_frames({("v", "1"): [[1, 2], [3, 4]], ("v", "2"): []})
        >>> len(pts), pts.counts().tolist(), pts.in_frame(0).xy.tolist()
        (2, [2, 0], [[1.0, 2.0], [3.0, 4.0]])
        >>> pts[pts.xy[:, 0] > 2].xy.tolist()
        [[3.0, 4.0]]
    """

    frames: pd.DataFrame
    frame_index: np.ndarray
    xy: np.ndarray
    score: np.ndarray | None = None
    track_id: np.ndarray | None = None
    box: np.ndarray | None = None

    def __post_init__(self) -> None:
        fi = np.asarray(self.frame_index)
        if fi.ndim != 1 or not (fi.dtype.kind in "iu" or len(fi) == 0):
            raise ValueError(f"expected frame_index as (N,) integers, got {fi.dtype} "
                             f"{fi.shape}")
        n = len(fi)
        object.__setattr__(self, "frame_index", fi.astype(np.int64, copy=False))
        xy = np.asarray(self.xy, np.float64)
        if xy.shape != (n, 2):
            raise ValueError(f"expected xy of shape ({n}, 2), got {xy.shape}")
        object.__setattr__(self, "xy", xy)
        object.__setattr__(self, "score", _optional(self.score, (n,), np.float64, "score"))
        object.__setattr__(self, "track_id",
                           _optional(self.track_id, (n,), np.int64, "track_id"))
        object.__setattr__(self, "box", _optional(self.box, (n, 4), np.float64, "box"))
        if n and (fi.min() < 0 or fi.max() >= len(self.frames)):
            raise ValueError(f"frame_index out of range of the {len(self.frames)} frames")

    def __len__(self) -> int:
        return len(self.frame_index)

    # ------------------------------------------------------------------ build
    @classmethod
    def empty(cls, frames: pd.DataFrame | None = None) -> Points:
        """No points (in ``frames``, default none)."""
        if frames is None:
            frames = pd.DataFrame({"video": pd.Series([], dtype=object),
                                   "frame": pd.Series([], dtype=object)})
        return Points(frames, np.empty(0, np.int64), np.empty((0, 2)))

    @classmethod
    def from_frames(cls, frames: Mapping[tuple[str, str], Any]) -> Points:
        """From ``{(video, frame): (n, 2) points}``, frames in sorted key order."""
        keys = sorted(frames)
        pts = [np.asarray(frames[k], np.float64).reshape(-1, 2) for k in keys]
        table = pd.DataFrame({"video": pd.Series([k[0] for k in keys], dtype=object),
                              "frame": pd.Series([str(k[1]) for k in keys], dtype=object)})
        return Points(table, np.repeat(np.arange(len(keys), dtype=np.int64),
                                       [len(p) for p in pts]),
                      np.concatenate(pts) if pts else np.empty((0, 2)))

    # ------------------------------------------------------------------ access
    def __getitem__(self: P, key: np.ndarray | slice | Sequence[int]) -> P:
        """The points selected by a boolean mask, index array or slice (the frame table
        is kept: frames left without points are frames without heads)."""
        if isinstance(key, (int, np.integer)):
            key = slice(int(key), int(key) + 1)
        sel = key if isinstance(key, slice) else np.asarray(key)
        changes = {f.name: (v[sel] if isinstance(v := getattr(self, f.name), np.ndarray)
                            else v)
                   for f in dataclasses.fields(self) if f.name != "frames"}
        return dataclasses.replace(self, **changes)

    @cached_property
    def _csr(self) -> tuple[np.ndarray | None, np.ndarray]:
        """(stable order by frame, or None when already sorted; ``(F + 1,)`` offsets)."""
        fi = self.frame_index
        order = None if np.all(fi[1:] >= fi[:-1]) else np.argsort(fi, kind="stable")
        counts = np.bincount(fi, minlength=len(self.frames))
        return order, np.concatenate([[0], np.cumsum(counts)])

    def frame_rows(self, row: int) -> np.ndarray | slice:
        """Indices (or a slice) of the points of frame ``row``, in input order."""
        order, off = self._csr
        span = slice(int(off[row]), int(off[row + 1]))
        return span if order is None else order[span]

    def in_frame(self: P, row: int) -> P:
        """The points of frame ``row`` (O(1) after the first call)."""
        return self[self.frame_rows(row)]

    def counts(self, min_score: float | None = None) -> np.ndarray:
        """``(F,)`` int64 points per frame (only those scoring >= ``min_score``)."""
        fi = self.frame_index
        if min_score is not None and self.score is not None:
            fi = fi[self.score >= min_score]
        return np.bincount(fi, minlength=len(self.frames)).astype(np.int64)

    def resolver(self) -> FrameResolver:
        """A :class:`FrameResolver` over this set's frame table."""
        return FrameResolver(self.frames["video"], self.frames["frame"])

    def keep_frames(self: P, keep: np.ndarray) -> P:
        """Only the frames where ``keep`` (``(F,)`` bool) is set, table re-indexed."""
        keep = np.asarray(keep, bool)
        new_row = np.cumsum(keep) - 1
        sel = keep[self.frame_index]
        sub = self[sel]
        return dataclasses.replace(sub, frames=self.frames[keep].reset_index(drop=True),
                                   frame_index=new_row[sub.frame_index].astype(np.int64))

    def to_pandas(self) -> pd.DataFrame:
        """One row per point: ``video, frame, x, y`` and ``score``, ``track_id``,
        ``x1, y1, x2, y2`` where present."""
        cols: dict[str, Any] = {
            "video": self.frames["video"].to_numpy()[self.frame_index],
            "frame": self.frames["frame"].to_numpy()[self.frame_index],
            "x": self.xy[:, 0], "y": self.xy[:, 1]}
        if self.score is not None:
            cols["score"] = self.score
        if self.track_id is not None:
            cols["track_id"] = self.track_id
        if self.box is not None:
            cols.update(zip(("x1", "y1", "x2", "y2"), self.box.T))
        return pd.DataFrame(cols)
