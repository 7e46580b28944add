"""The frame images of a dataset root: which annotated frames have one, and each
video's frame size (``ROOT/videos/<video>/<FrameID>.jpg``)."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import AnnotationFormatError, MissingImagesWarning, VSCrowdWarning
from .annotations import Annotations
from .layout import IMAGE_EXT, first_readable_size

__all__ = ["ImageScan", "check_inside_images", "scan_images"]


@dataclass(frozen=True)
class ImageScan:
    """What :func:`scan_images` found."""

    annotations: Annotations  # frames table with width, height, has_image
    videos: pd.DataFrame  # video table with width, height, has_frames
    missing: list[tuple[str, str]]  # annotated (video, frame) without image


def scan_images(root: Path, annotations: Annotations, videos: pd.DataFrame) -> ImageScan:
    """Which annotated frames have an image (one directory listing per video), each
    video's frame size (from its first readable image), and warnings for videos
    without a folder and frames without an image."""
    vdir = root / "videos"
    widths, heights, has_frames = [], [], []
    frames = annotations.frames
    exists_all = np.zeros(len(frames), bool)
    missing: list[tuple[str, str]] = []
    no_folder = []
    groups = frames.groupby("video", observed=True, sort=False).indices
    all_fids = frames["frame"].to_numpy(object)
    for video in videos["video"]:
        sel = groups.get(video, np.empty(0, np.int64))
        fids = all_fids[sel].tolist()
        folder = vdir / video
        try:
            present = {e.name for e in os.scandir(folder)}
        except OSError:
            present = None
        if present is None:
            no_folder.append(video)
            exists = np.zeros(len(fids), bool)
            size = None
        else:
            exists = np.array([f + IMAGE_EXT in present for f in fids], bool)
            missing += [(video, f) for f, e in zip(fids, exists) if not e]
            size = first_readable_size(folder, [f for f, e in zip(fids, exists) if e])
        exists_all[sel] = exists
        widths.append(size[0] if size else pd.NA)
        heights.append(size[1] if size else pd.NA)
        has_frames.append(present is not None)
    videos = videos.assign(width=pd.array(widths, dtype="Int32"),
                           height=pd.array(heights, dtype="Int32"), has_frames=has_frames)
    per_video = videos.set_index("video")[["split", "width", "height"]]
    fr = frames.drop(columns=[c for c in ("split", "width", "height", "has_image")
                              if c in frames])
    fr = fr.join(per_video, on="video")
    # As a registered dataset's: categories in split order.
    fr["split"] = pd.Categorical(fr["split"], categories=list(dict.fromkeys(videos["split"])))
    fr["has_image"] = exists_all
    fr.loc[~fr["has_image"], ["width", "height"]] = pd.NA
    if no_folder:
        warnings.warn(
            f"{len(no_folder)} video(s) have no frames folder under {vdir} "
            f"(annotations loaded anyway): {', '.join(no_folder[:5])}"
            + (" ..." if len(no_folder) > 5 else ""), MissingImagesWarning, stacklevel=3)
    if missing:
        listed = ", ".join(f"{v}/{f}{IMAGE_EXT}" for v, f in missing[:5])
        warnings.warn(f"{len(missing)} annotated frame(s) have no image: {listed}"
                      + (" ..." if len(missing) > 5 else ""), MissingImagesWarning,
                      stacklevel=3)
    return ImageScan(Annotations(annotations.heads, fr), videos, missing)


def check_inside_images(heads: pd.DataFrame, videos: pd.DataFrame, strict: bool,
                        where: Path) -> None:
    """Warn (``strict``: raise) when head centers lie outside their frame image."""
    h = heads
    if h.empty:
        return
    size = videos.set_index("video")[["width", "height"]].astype("float64")
    cats = h["video"].cat.categories
    wh = size.reindex(cats).to_numpy(np.float64)[h["video"].cat.codes.to_numpy()]
    with np.errstate(invalid="ignore"):
        out = ((h["x"].to_numpy() < 0) | (h["y"].to_numpy() < 0)
               | (h["x"].to_numpy() > wh[:, 0]) | (h["y"].to_numpy() > wh[:, 1]))
    n = int(np.nansum(out))
    if n:
        msg = f"{n} head center(s) lie outside their frame image"
        if strict:
            raise AnnotationFormatError(msg, path=where)
        warnings.warn(msg, VSCrowdWarning, stacklevel=3)
