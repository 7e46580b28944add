"""``ImageDataset``: an image dataset (NWPU-Crowd, ShanghaiTech, UCF-QNRF, JHU-Crowd++)
with the interface of :class:`~vscrowd.VSCrowd`, so every tool that takes a VSCrowd
(stats, eval, show, the torch data) takes it too.

Images are not frames of a video: each split is one "video" named after the split
(``video == split``) whose frames are the split's images, in the dataset's own order;
``frame`` is the image's own name (``"0001"``, ``"IMG_1"``, ``"img_0001"``).
Per-image sizes and labels are columns of the frames table; ``path`` is each image's
path relative to the root. Datasets without head boxes get zero-size boxes at the
point (``x1 == x2 == x``), so head sizes read 0 there.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DatasetError, VSCrowdWarning
from .annotations import Annotations
from .layout import image_size  # re-exported: the readers' image sizes
from .vscrowd import VSCrowd

__all__ = ["ImageDataset", "ImageRecord", "image_size"]


@dataclass(frozen=True)
class ImageRecord:
    """One annotated image as a reader returns it.

    Attributes:
        split: Split name (``train``, ``val``, ``test``).
        image: The image's name without extension (the FrameID).
        path: Image path relative to the dataset root.
        xy: ``(n, 2)`` float64 head points in image pixels (0-based, as stored).
        box: ``(n, 4)`` float64 ``x1, y1, x2, y2`` head boxes, or None.
        labels: Per-image labels (column name -> value).
        size: ``(width, height)`` when the annotation file records it, else None
            (read from the image header).
        video: The real sequence a video dataset's frame belongs to; None for an image
            (its split is its "video").
        ids: ``(n,)`` integer track IDs where the dataset has them, else None (-1).
        head_labels: Per-head labels (column name -> ``(n,)`` integer array), e.g.
            JHU-Crowd++'s ``occlusion`` and ``blur``; -1 for a head of a record
            without that label.
    """

    split: str
    image: str
    path: str
    xy: np.ndarray
    box: np.ndarray | None = None
    labels: Mapping[str, Any] = field(default_factory=dict)
    size: tuple[int, int] | None = None
    video: str | None = None
    ids: np.ndarray | None = None
    head_labels: Mapping[str, np.ndarray] = field(default_factory=dict)


class ImageDataset(VSCrowd):
    """An image dataset root read by its registered reader (see
    :func:`vscrowd.datasets.open`). ``name`` is the registered dataset name."""

    name: str = "images"

    def __init__(self, root: str | Path, records: Sequence[ImageRecord], *, name: str,
                 splits: Sequence[str] | None = None) -> None:
        root = Path(root)
        ann, missing = _tables(root, records)
        self._finish(root, name, ann, _video_table(ann.frames, records, splits), missing)

    @classmethod
    def from_tables(cls, root: Path, name: str, annotations: Annotations,
                    videos: pd.DataFrame, missing_images: list[tuple[str, str]]):
        """The dataset over tables a reader built before (the annotation cache)."""
        ds = cls.__new__(cls)
        ds._finish(Path(root), name, annotations, videos, missing_images)
        return ds

    def _finish(self, root: Path, name: str, ann: Annotations, videos: pd.DataFrame,
                missing: list[tuple[str, str]]) -> None:
        """Set the tables and warn about them (the same warnings from the cache)."""
        self.name = name
        self._set(root, False, ann, videos, missing)
        outside = _outside(ann)
        if outside:  # kept, as the dataset publishes them (verify counts them too)
            warnings.warn(f"{outside} head point(s) of {name} lie outside their image "
                          f"(kept): {root}", VSCrowdWarning, stacklevel=4)
        if missing:
            warnings.warn(f"{len(missing)} annotated image(s) are missing under {root}: "
                          + ", ".join(f"{v}/{f}" for v, f in missing[:5]),
                          VSCrowdWarning, stacklevel=4)

    def _set(self, root, strict, annotations, videos, missing_images) -> None:
        super()._set(root, strict, annotations, videos, missing_images)
        self.name_map = {}  # one naming only: no SenseCrowd-style map applies
        self._paths = dict(zip(zip(annotations.frames["video"].astype(str),
                                   annotations.frames["frame"].astype(str)),
                               annotations.frames["path"].astype(str)))

    @classmethod
    def _view(cls, parent: ImageDataset, annotations, videos, missing_images) -> ImageDataset:
        view = super()._view(parent, annotations, videos, missing_images)
        view.name = parent.name
        return view

    @property
    def is_video(self) -> bool:
        """False: frames of one "video" are unrelated images (no clips, no tracks)."""
        return False

    def image_path(self, video: str, frame: str) -> Path:
        """The image's own path (``frames["path"]``)."""
        rel = self._paths.get((str(video), str(frame)))
        if rel is None:
            raise DatasetError(f"no image {frame!r} in split {video!r} of {self.root}")
        return self.root / rel

    def __repr__(self) -> str:
        return (f"ImageDataset(name={self.name!r}, root={str(self.root)!r}, "
                f"images={len(self.frames)}, heads={len(self.heads)})")


def _outside(ann: Annotations) -> int:
    """Heads outside their image's known size (images of unknown size are not judged)."""
    fr, h = ann.frames, ann.heads
    row = np.repeat(np.arange(len(fr)), fr["n_heads"].to_numpy())
    w = fr["width"].astype("float64").to_numpy()[row]
    hh = fr["height"].astype("float64").to_numpy()[row]
    x, y = h["x"].to_numpy(), h["y"].to_numpy()
    with np.errstate(invalid="ignore"):
        return int(((x < 0) | (y < 0) | (x > w) | (y > hh)).sum())


def _tables(root: Path, records: Sequence[ImageRecord]
            ) -> tuple[Annotations, list[tuple[str, str]]]:
    """Heads and frames tables from the records (one row per image, in record order)."""
    counts = np.array([len(r.xy) for r in records], np.int64)
    xy = (np.concatenate([np.asarray(r.xy, np.float64).reshape(-1, 2) for r in records])
          if records else np.empty((0, 2)))
    box = (np.concatenate([np.asarray(r.box, np.float64).reshape(-1, 4) if r.box is not None
                           else np.column_stack([r.xy, r.xy]).reshape(-1, 4)
                           for r in records]) if records else np.empty((0, 4)))
    videos = [r.video or r.split for r in records]  # an image's "video" is its split
    index_in_video = pd.Series(videos).groupby(videos).cumcount().to_numpy(np.int32) \
        if records else np.empty(0, np.int32)
    ids = (np.concatenate([np.full(len(r.xy), -1, np.int64) if r.ids is None
                           else np.asarray(r.ids, np.int64).reshape(-1) for r in records])
           if records else np.empty(0, np.int64))
    sizes, missing = [], []
    for r in records:
        size = r.size or image_size(root / r.path)
        if size is None and not (root / r.path).is_file():
            missing.append((r.video or r.split, r.image))
        sizes.append(size or (pd.NA, pd.NA))
    gone = set(missing)
    video_cat = pd.Categorical(videos, categories=list(dict.fromkeys(videos)))
    frames = pd.DataFrame({
        "video": video_cat,
        "frame": pd.Series([r.image for r in records], dtype=object),
        "frame_index": index_in_video,
        "n_heads": counts.astype(np.int32),
        "width": pd.array([s[0] for s in sizes], dtype="Int32"),
        "height": pd.array([s[1] for s in sizes], dtype="Int32"),
        "has_image": [(r.video or r.split, r.image) not in gone for r in records],
        "path": pd.Series([r.path for r in records], dtype=object),
    })
    for key in dict.fromkeys(k for r in records for k in r.labels):
        frames[key] = [r.labels.get(key) for r in records]
    rows = np.repeat(np.arange(len(records)), counts)
    heads = pd.DataFrame({
        "video": pd.Categorical(np.asarray(videos, object)[rows] if len(rows) else [],
                                categories=video_cat.categories),
        "frame": pd.Categorical(frames["frame"].to_numpy(object)[rows]),
        "frame_index": index_in_video[rows],
        "head_id": ids,
        "x1": box[:, 0], "y1": box[:, 1], "x2": box[:, 2], "y2": box[:, 3],
        "x": xy[:, 0], "y": xy[:, 1],
    })
    for key in dict.fromkeys(k for r in records for k in r.head_labels):
        heads[key] = np.concatenate([np.asarray(r.head_labels[key], np.int64).reshape(-1)
                                     if key in r.head_labels else np.full(len(r.xy), -1)
                                     for r in records])
    return Annotations(heads, frames), missing


def _video_table(frames: pd.DataFrame, records: Sequence[ImageRecord],
                 splits: Sequence[str] | None) -> pd.DataFrame:
    """One row per video, in split order: an image dataset's splits (``video == split``,
    listed even when empty, e.g. NWPU's unannotated test), or a video dataset's
    sequences (frame size from their first frame).

    Raises:
        DatasetError: one sequence name in two splits.
    """
    order = list(dict.fromkeys([*(splits or ()), *(r.split for r in records)]))
    is_video = any(r.video is not None for r in records)
    split_of: dict[str, str] = {} if is_video else {s: s for s in order}
    for r in records:
        v = r.video or r.split
        if split_of.setdefault(v, r.split) != r.split:
            raise DatasetError(f"video {v!r} is in two splits ({split_of[v]!r} and "
                               f"{r.split!r}): {r.path}")
    names = sorted(split_of, key=lambda v: order.index(split_of[v]))  # stable in split
    key = frames["video"].astype(str)
    # One grouping for every per-video column (a mask per video was O(videos x frames)).
    per = frames.groupby(key, sort=False).agg(
        width=("width", "first"), height=("height", "first"), n_frames=("n_heads", "size"),
        n_heads=("n_heads", "sum"))
    size = {c: pd.array([per[c].get(v, pd.NA) if is_video else pd.NA for v in names],
                        dtype="Int32") for c in ("width", "height")}
    return pd.DataFrame({
        "video": names, "split": [split_of[v] for v in names],
        "n_frames": [int(per["n_frames"].get(v, 0)) for v in names],
        "n_heads": [int(per["n_heads"].get(v, 0)) for v in names],
        "width": size["width"], "height": size["height"],
        "has_frames": [True] * len(names)})
