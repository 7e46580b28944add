"""``ImageDataset``: an image dataset (NWPU-Crowd, ShanghaiTech, UCF-QNRF, JHU-Crowd++)
with the interface of :class:`~vscrowd.VSCrowd`, so every tool that takes a VSCrowd
(stats, eval, show, the torch data) takes it too.

Images are not frames of a video: each split is one "video" named after the split
(``video == split``) whose frames are the split's images, in the dataset's own order;
``frame`` is the image's own name (``"0001"``, ``"IMG_1"``, ``"img_0001"``).
Per-image sizes and labels are columns of the frames table; ``path`` is each image's
path relative to the root, ``split`` its split (for a video dataset, its video's).
Datasets without head boxes get zero-size boxes at the point (``x1 == x2 == x``), so
head sizes read 0 there.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DatasetError, MissingImagesWarning, VSCrowdWarning
from .annotations import Annotations
from .layout import image_size  # re-exported: the readers' image sizes
from .values import MAX_SIDE, locate_row, nonfinite_row, valid_side
from .vscrowd import VSCrowd

__all__ = ["FrameColumns", "ImageDataset", "ImageRecord", "image_size", "label_columns"]


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


@dataclass(frozen=True)
class FrameColumns:
    """Many annotated images as columns, in frame order: what
    :meth:`ImageDataset.from_columns` takes from a reader of many small files.

    One :class:`ImageRecord` per frame costs a Python object and two small arrays, then
    their concatenation; with FDST's ~30 heads per frame, records and the tables built
    from them took a third of a cold read. Records are turned into these columns too, so
    both give the same tables.

    Attributes:
        split, image, path: Per frame, as in :class:`ImageRecord`.
        n_heads: ``(frames,)`` int64 heads per frame; the head arrays hold the heads of
            frame 0 first, then frame 1's, ...
        xy: ``(heads, 2)`` float64 head points.
        box: ``(heads, 4)`` float64 head boxes (zero-size boxes at the points if None).
        size: Per frame ``(width, height)`` or None (read from the image header).
        video: Per frame, the real sequence (None: the split is the "video").
        ids: ``(heads,)`` int64 track IDs (-1 for none), or None (all -1).
        labels: Per-frame label columns (name -> one value per frame).
        head_labels: Per-head label columns (name -> ``(heads,)`` int64).
    """

    split: Sequence[str]
    image: Sequence[str]
    path: Sequence[str]
    n_heads: np.ndarray
    xy: np.ndarray
    box: np.ndarray | None = None
    size: Sequence[tuple[int, int] | None] | None = None
    video: Sequence[str | None] | None = None
    ids: np.ndarray | None = None
    labels: Mapping[str, Sequence[Any]] = field(default_factory=dict)
    head_labels: Mapping[str, np.ndarray] = field(default_factory=dict)

    @classmethod
    def from_records(cls, records: Sequence[ImageRecord]) -> FrameColumns:
        """The columns of ``records`` (arrays as float64 / int64, in record order)."""
        if not records:
            return cls([], [], [], np.empty(0, np.int64), np.empty((0, 2)), np.empty((0, 4)),
                       ids=np.empty(0, np.int64))
        xy = [np.asarray(r.xy, np.float64).reshape(-1, 2) for r in records]
        box = [np.asarray(r.box, np.float64).reshape(-1, 4) if r.box is not None
               else np.column_stack([r.xy, r.xy]).reshape(-1, 4) for r in records]
        ids = np.concatenate([np.full(len(r.xy), -1, np.int64) if r.ids is None
                              else np.asarray(r.ids, np.int64).reshape(-1) for r in records])
        labels = label_columns([r.labels for r in records])
        head_labels = {key: np.concatenate([np.asarray(r.head_labels[key], np.int64).reshape(-1)
                                            if key in r.head_labels
                                            else np.full(len(r.xy), -1) for r in records])
                       for key in dict.fromkeys(k for r in records for k in r.head_labels)}
        return cls([r.split for r in records], [r.image for r in records],
                   [r.path for r in records],
                   np.array([len(r.xy) for r in records], np.int64), np.concatenate(xy),
                   np.concatenate(box), [r.size for r in records],
                   [r.video for r in records], ids, labels, head_labels)


def label_columns(labels: Sequence[Mapping[str, Any]]) -> dict[str, list]:
    """Per-frame label dicts as columns (every key any frame has, in first-seen order;
    None where a frame lacks it)."""
    keys = dict.fromkeys(k for frame in labels for k in frame)
    return {key: [frame.get(key) for frame in labels] for key in keys}


class ImageDataset(VSCrowd):
    """An image dataset root read by its registered reader (see
    :func:`vscrowd.datasets.open`). ``name`` is the registered dataset name."""

    name: str = "images"

    def __init__(self, root: str | Path, records: Sequence[ImageRecord], *, name: str,
                 splits: Sequence[str] | None = None) -> None:
        root, columns = Path(root), FrameColumns.from_records(records)
        ann, missing = _tables(root, columns)
        self._finish(root, name, ann, _video_table(ann.frames, columns, splits), missing)

    @classmethod
    def from_columns(cls, root: str | Path, columns: FrameColumns, *, name: str,
                     splits: Sequence[str] | None = None):
        """The dataset over a reader's columns (the same tables as from records)."""
        # As deep below the reader as __init__: _finish's warnings point at its caller.
        root, ds = Path(root), cls.__new__(cls)
        ann, missing = _tables(root, columns)
        ds._finish(root, name, ann, _video_table(ann.frames, columns, splits), missing)
        return ds

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
                          MissingImagesWarning, stacklevel=4)

    def _set(self, root, strict, annotations, videos, missing_images) -> None:
        super()._set(root, strict, annotations, videos, missing_images)
        self.name_map = {}  # one naming only: no SenseCrowd-style map applies
        # Built on the first image_path call: 15-60 ms for FDST's 15,000 frames, a third
        # of a cache hit, for a lookup most opens (stats, eval) never make.
        self._paths: dict[tuple[str, str], str] | None = None

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
        if self._paths is None:
            fr = self.annotations.frames
            # Lists first: iterating a pandas string column yields one element per call.
            self._paths = dict(zip(zip(fr["video"].astype(str).tolist(),
                                       fr["frame"].astype(str).tolist()),
                                   fr["path"].astype(str).tolist()))
        rel = self._paths.get((str(video), str(frame)))
        if rel is None:
            where = "video" if self.is_video else "split"  # an image dataset: video = split
            raise DatasetError(f"no image {frame!r} in {where} {video!r} of {self.root}")
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


def _tables(root: Path, c: FrameColumns) -> tuple[Annotations, list[tuple[str, str]]]:
    """Heads and frames tables from the columns (one row per image, in column order)."""
    counts = np.asarray(c.n_heads, np.int64)
    xy = np.asarray(c.xy, np.float64).reshape(-1, 2)
    box = c.box if c.box is not None else np.column_stack([xy, xy])
    videos = [v or s for v, s in zip(c.video, c.split)] if c.video is not None \
        else list(c.split)  # an image's "video" is its split
    video_cat = pd.Categorical(videos, categories=list(dict.fromkeys(videos)))
    index_in_video = _cumcount(video_cat.codes)
    sizes, missing = [], []
    base = os.fspath(root)  # joined as strings: a Path per image cost more than its header
    for size, path, video, image in zip(c.size or [None] * len(videos), c.path, videos,
                                        c.image):
        size = size or image_size(os.path.join(base, path))
        if size is None and not (root / path).is_file():
            missing.append((video, image))
        sizes.append(size or (pd.NA, pd.NA))
    _check_values(c.path, counts, xy, box, sizes, videos)
    gone = set(missing)
    frames = pd.DataFrame({
        "video": video_cat,
        "frame": pd.Series(list(c.image), dtype=object),
        "frame_index": index_in_video,
        "n_heads": counts.astype(np.int32),
        "split": pd.Categorical(list(c.split), categories=list(dict.fromkeys(c.split))),
        "width": pd.array([s[0] for s in sizes], dtype="Int32"),
        "height": pd.array([s[1] for s in sizes], dtype="Int32"),
        "has_image": [key not in gone for key in zip(videos, c.image)],
        "path": pd.Series(list(c.path), dtype=object),
    })
    for key, values in c.labels.items():
        frames[key] = list(values)
    rows = np.repeat(np.arange(len(videos)), counts)
    # Per-head categoricals from per-frame codes: inferring them from one string per
    # head cost more than the rest of the tables (the same categories either way: the
    # frames with heads hold exactly the heads' names).
    named = counts > 0
    frame_cat = pd.Categorical(frames["frame"].to_numpy(object)[named])
    heads = pd.DataFrame({
        "video": pd.Categorical.from_codes(video_cat.codes[rows], dtype=video_cat.dtype),
        "frame": pd.Categorical.from_codes(np.repeat(frame_cat.codes, counts[named]),
                                           dtype=frame_cat.dtype),
        "frame_index": index_in_video[rows],
        "head_id": np.full(len(xy), -1, np.int64) if c.ids is None
        else np.asarray(c.ids, np.int64).reshape(-1),
        "x1": box[:, 0], "y1": box[:, 1], "x2": box[:, 2], "y2": box[:, 3],
        "x": xy[:, 0], "y": xy[:, 1],
    })
    for key, values in c.head_labels.items():
        heads[key] = values
    return Annotations(heads, frames), missing


def _check_values(paths: Sequence[str], counts: np.ndarray, xy: np.ndarray,
                  box: np.ndarray, sizes: list, videos: list[str]) -> None:
    """Finite heads and sizes the Int32 columns hold, whatever the reader checked (each
    reader names its own file first; this names the image).

    Raises:
        DatasetError: a head with a NaN or an infinity, or a width or height outside
            1..2**31 - 1 (names the image and the head).
    """
    # Each array on its own: stacking them copied every head (FDST: 414,000) per open.
    rows = [r for r in (nonfinite_row(xy), nonfinite_row(box)) if r is not None]
    if rows:
        row = min(rows)
        frame, head = locate_row(counts, row)
        head += 1
        raise DatasetError(f"{paths[frame]}: head {head} (of {videos[frame]!r}) has a "
                           f"coordinate that is not a finite number: point "
                           f"{xy[row].tolist()}, box {box[row].tolist()}")
    for path, size in zip(paths, sizes):
        if size[0] is not pd.NA and not (valid_side(size[0]) and valid_side(size[1])):
            raise DatasetError(f"{path}: the frame size {size[0]} x {size[1]} is not from 1 "
                               f"to {MAX_SIDE:,} pixels a side")


def _cumcount(codes: np.ndarray) -> np.ndarray:
    """``(n,)`` int32: how many earlier entries share each entry's code (0, 1, 2, ...
    within each group, in order), as ``groupby().cumcount()`` without its overhead."""
    codes = np.asarray(codes, np.int64)
    order = np.argsort(codes, kind="stable")
    per = np.bincount(codes, minlength=1)
    start = np.cumsum(per) - per  # where each code's run begins in ``order``
    out = np.empty(len(codes), np.int32)
    out[order] = np.arange(len(codes)) - start[codes[order]]
    return out


def _first_valid(codes: np.ndarray, column: pd.Series, k: int) -> list:
    """Per group (code < k), the first non-missing value of ``column`` (missing: NA)."""
    pos = np.flatnonzero(column.notna().to_numpy())
    groups, first = np.unique(codes[pos], return_index=True)
    out = [pd.NA] * k
    for g, value in zip(groups.tolist(), column.to_numpy(object)[pos[first]].tolist()):
        out[g] = value
    return out


def _video_table(frames: pd.DataFrame, c: FrameColumns,
                 splits: Sequence[str] | None) -> pd.DataFrame:
    """One row per video, in split order: an image dataset's splits (``video == split``,
    listed even when empty, e.g. NWPU's unannotated test), or a video dataset's
    sequences (frame size from their first frame with a size).

    Raises:
        DatasetError: one sequence name in two splits.
    """
    order = list(dict.fromkeys([*(splits or ()), *c.split]))
    video = c.video if c.video is not None else [None] * len(c.split)
    is_video = any(v is not None for v in video)
    split_of: dict[str, str] = {} if is_video else {s: s for s in order}
    for v, split, path in zip(video, c.split, c.path):
        v = v or split
        if split_of.setdefault(v, split) != split:
            raise DatasetError(f"video {v!r} is in two splits ({split_of[v]!r} and "
                               f"{split!r}): {path}")
    names = sorted(split_of, key=lambda v: order.index(split_of[v]))  # stable in split
    # One factorization for every per-video column (a mask per video was O(videos x
    # frames), and a pandas groupby plus a lookup per video cost more than the rest).
    codes, keys = pd.factorize(frames["video"].astype(str))
    at = {key: i for i, key in enumerate(keys.tolist())}
    n_frames = np.bincount(codes, minlength=len(keys))
    n_heads = np.zeros(len(keys), np.int64)
    np.add.at(n_heads, codes, frames["n_heads"].to_numpy(np.int64))
    first = {col: _first_valid(codes, frames[col], len(keys)) for col in ("width", "height")}
    size = {col: pd.array([first[col][at[v]] if is_video and v in at else pd.NA
                           for v in names], dtype="Int32") for col in ("width", "height")}
    return pd.DataFrame({
        "video": names, "split": [split_of[v] for v in names],
        "n_frames": [int(n_frames[at[v]]) if v in at else 0 for v in names],
        "n_heads": [int(n_heads[at[v]]) if v in at else 0 for v in names],
        "width": size["width"], "height": size["height"],
        "has_frames": [True] * len(names)})
