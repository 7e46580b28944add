"""Ground-truth head points of an evaluation split, as aligned arrays."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..annotations import Annotations
from ..dataset import VSCrowd

__all__ = ["GroundTruth"]


@dataclass(frozen=True)
class GroundTruth:
    """The heads of the frames being evaluated.

    Frames are in (video, frame) order; this order breaks exact score ties between
    frames, as image ids do in pycocotools.

    Attributes:
        frames: One row per frame: ``video``, ``frame`` (str), ``width``, ``height``
            (float, NaN where unknown).
        frame_index: ``(G,)`` int64 row of ``frames`` of each head.
        points: ``(G, 2)`` float64 head centers.
        boxes: ``(G, 4)`` float64 head-shoulder boxes ``x1, y1, x2, y2``.
        head_ids: ``(G,)`` int64 track IDs (HeadID), or None when not known.
    """

    frames: pd.DataFrame
    frame_index: np.ndarray
    points: np.ndarray
    boxes: np.ndarray
    head_ids: np.ndarray | None = None

    def __post_init__(self) -> None:
        n = len(self.frame_index)
        if self.points.shape != (n, 2) or self.boxes.shape != (n, 4):
            raise ValueError(f"expected points (G, 2) and boxes (G, 4) with G={n}, got "
                             f"{self.points.shape} and {self.boxes.shape}")

    def __len__(self) -> int:
        return len(self.frame_index)

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
        key = pd.MultiIndex.from_arrays([fr["video"], fr["frame_index"].astype(np.int64)])
        h = ann.heads
        hkey = pd.MultiIndex.from_arrays([h["video"].astype(str).to_numpy(),
                                          h["frame_index"].to_numpy().astype(np.int64)])
        fi = key.get_indexer(hkey).astype(np.int64)
        order = np.argsort(fi, kind="stable")
        frames = pd.DataFrame({
            "video": fr["video"].to_numpy(object), "frame": fr["frame"].to_numpy(object),
            "width": (fr["width"].astype("float64").to_numpy() if "width" in fr
                      else np.full(len(fr), np.nan)),
            "height": (fr["height"].astype("float64").to_numpy() if "height" in fr
                       else np.full(len(fr), np.nan)),
        })
        return cls(frames, fi[order], h[["x", "y"]].to_numpy(np.float64)[order],
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
        keep = np.array([(v, f) in wanted for v, f in zip(self.frames["video"],
                                                           self.frames["frame"])], bool)
        new_index = np.cumsum(keep) - 1
        sel = keep[self.frame_index]
        return GroundTruth(self.frames[keep].reset_index(drop=True),
                           new_index[self.frame_index[sel]].astype(np.int64),
                           self.points[sel], self.boxes[sel],
                           None if self.head_ids is None else self.head_ids[sel])

    @classmethod
    def from_points(cls, frames: dict[tuple[str, str], np.ndarray]) -> GroundTruth:
        """From ``{(video, frame): (n, 2) points}``; boxes become zero-size at the point.

        Example:
            >>> gt = GroundTruth.from_points({("v", "1"): np.array([[1.0, 2.0]])})
            >>> len(gt), gt.frames["frame"].tolist()
            (1, ['1'])
        """
        keys = sorted(frames)
        pts = [np.asarray(frames[k], np.float64).reshape(-1, 2) for k in keys]
        counts = [len(p) for p in pts]
        points = np.concatenate(pts) if pts else np.empty((0, 2))
        return cls(
            pd.DataFrame({"video": [k[0] for k in keys], "frame": [str(k[1]) for k in keys],
                          "width": np.nan, "height": np.nan}),
            np.repeat(np.arange(len(keys), dtype=np.int64), counts),
            points, np.column_stack([points, points]),
        )
