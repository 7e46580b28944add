"""Ground-truth head points of an evaluation split, as aligned arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._moved import renamed_attribute
from ..datasets.annotations import Annotations
from ..datasets.vscrowd import VSCrowd
from ..points import Points

__all__ = ["GroundTruth"]


@dataclass(frozen=True)
class GroundTruth(Points):
    """The heads of the frames being evaluated: a :class:`~vscrowd.Points` with boxes.

    Frames are in (video, frame) order; this order breaks exact score ties between
    frames, as image ids do in pycocotools.

    Fields are the point set's: ``xy`` ``(G, 2)`` float64 head centers, ``box``
    ``(G, 4)`` float64 head-shoulder boxes ``x1, y1, x2, y2`` (required here),
    ``track_id`` ``(G,)`` int64 HeadIDs or None. (0.1.0's ``points``, ``boxes`` and
    ``head_ids`` still read, with a DeprecationWarning, for one release.)
    Per-head radii and levels where the file gives them: ``radius`` ``(G, 2)`` float64
    ``(σ_s, σ_l)`` (NWPU-Crowd's ``val_gt_loc.txt``; None: the box family derives them
    from the boxes) and ``level`` ``(G,)`` int64 (NWPU: head-size class 0-5), or None.
    """

    radius: np.ndarray | None = None
    level: np.ndarray | None = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.box is None:
            raise ValueError("expected ground-truth boxes (G, 4), got None")
        n = len(self.frame_index)
        for name, shape, dtype in (("radius", (n, 2), np.float64), ("level", (n,), np.int64)):
            value = getattr(self, name)
            if value is not None:
                arr = np.asarray(value, dtype)
                if arr.shape != shape:
                    raise ValueError(f"expected {name} of shape {shape}, got {arr.shape}")
                object.__setattr__(self, name, arr)

    @classmethod
    def from_arrays(cls, frames: pd.DataFrame, frame_index: np.ndarray, points: np.ndarray,
                    boxes: np.ndarray, head_ids: np.ndarray | None = None) -> GroundTruth:
        """From a frame table (``video``, ``frame``, ``width``, ``height``) and aligned
        per-head arrays."""
        return cls(frames, frame_index, points, track_id=head_ids, box=boxes)

    points = renamed_attribute("points", "xy")
    boxes = renamed_attribute("boxes", "box")
    head_ids = renamed_attribute("head_ids", "track_id")

    @property
    def has_box_sizes(self) -> bool:
        """Whether any head box has a width and a height (the point-only datasets --
        ShanghaiTech, UCF-QNRF, Venice, Mall, UCSD -- carry zero-size boxes at the
        point): what the box and size families measure."""
        b = self.box
        return bool(np.any((b[:, 2] > b[:, 0]) & (b[:, 3] > b[:, 1])))

    @property
    def videos(self) -> np.ndarray:
        """``(F,)`` video name of each frame."""
        return self.frames["video"].to_numpy()

    @classmethod
    def from_annotations(cls, ann: Annotations) -> GroundTruth:
        """All frames of ``ann`` (frames without heads included)."""
        fr = ann.frames.assign(video=ann.frames["video"].astype(str),
                               frame=ann.frames["frame"].astype(str))
        fr = fr.sort_values(["video", "frame"], kind="stable").reset_index(drop=True)
        h = ann.heads
        fi = _frame_rows(fr["video"], fr["frame_index"], h["video"], h["frame_index"])
        order = np.argsort(fi, kind="stable")
        frames = pd.DataFrame({
            "video": fr["video"].to_numpy(object), "frame": fr["frame"].to_numpy(object),
            "width": (fr["width"].astype("float64").to_numpy() if "width" in fr
                      else np.full(len(fr), np.nan)),
            "height": (fr["height"].astype("float64").to_numpy() if "height" in fr
                       else np.full(len(fr), np.nan)),
        })
        return cls.from_arrays(frames, fi[order], h[["x", "y"]].to_numpy(np.float64)[order],
                               h[["x1", "y1", "x2", "y2"]].to_numpy(np.float64)[order],
                               h["head_id"].to_numpy(np.int64)[order])

    @classmethod
    def from_dataset(cls, ds: VSCrowd, split: str | None = None) -> GroundTruth:
        """The frames of one split of a dataset (all splits when None)."""
        if split is not None:
            ds = ds.select(split=split)
        return cls.from_annotations(ds.annotations)

    def subset(self, keys) -> GroundTruth:
        """Only the frames ``(video, frame)`` in ``keys`` (order kept)."""
        wanted = set(map(tuple, keys))
        return self.keep_frames(np.array([(v, f) in wanted for v, f in zip(
            self.frames["video"], self.frames["frame"])], bool))

    @classmethod
    def from_points(cls, frames: dict[tuple[str, str], np.ndarray]) -> GroundTruth:
        """From ``{(video, frame): (n, 2) points}``; boxes become zero-size at the point.

        Example:
            >>> gt = GroundTruth.from_points({("v", "1"): np.array([[1.0, 2.0]])})
            >>> len(gt), gt.frames["frame"].tolist()
            (1, ['1'])
        """
        pts = Points.from_frames(frames)
        return cls.from_arrays(pts.frames.assign(width=np.nan, height=np.nan),
                               pts.frame_index, pts.xy, np.column_stack([pts.xy, pts.xy]))


def _frame_rows(frame_video: pd.Series, frame_index: pd.Series, head_video: pd.Series,
                head_index: pd.Series) -> np.ndarray:
    """Row of the frame table of each head, by (video, frame_index), on integer keys:
    the head table's video column is categorical, so no string is compared per head."""
    cats = (head_video.cat.categories if isinstance(head_video.dtype, pd.CategoricalDtype)
            else pd.Index(pd.unique(head_video.astype(str))))
    f_code = pd.Categorical(frame_video, categories=cats.astype(str)).codes.astype(np.int64)
    h_code = (head_video.cat.codes.to_numpy().astype(np.int64)
              if isinstance(head_video.dtype, pd.CategoricalDtype)
              else pd.Categorical(head_video.astype(str), categories=cats).codes.astype(np.int64))
    f_idx = frame_index.to_numpy().astype(np.int64)
    h_idx = head_index.to_numpy().astype(np.int64)
    span = int(max(f_idx.max(initial=0), h_idx.max(initial=0))) + 1
    f_key, h_key = f_code * span + f_idx, h_code * span + h_idx
    order = np.argsort(f_key, kind="stable")
    pos = np.searchsorted(f_key[order], h_key).clip(0, max(len(order) - 1, 0))
    found = len(order) > 0 and (f_key[order][pos] == h_key)
    return np.where(found, order[pos] if len(order) else -1, -1).astype(np.int64)

