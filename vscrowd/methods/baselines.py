"""A training-free baseline: background subtraction + blob peaks.

Surveillance cameras are static, so the per-pixel median over a video's frames is a
good background; people are where a frame differs from it. Peaks of the smoothed
difference are reported as heads, scored by their relative strength. It needs no
torch and no training, which makes it the demo's and the tests' reference method.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from scipy import ndimage

from ..datasets.image_file import read_image
from ..datasets.vscrowd import VSCrowd
from ..eval.predictions import Predictions, RecordBuilder

__all__ = ["background_blobs"]


def _peaks(diff: np.ndarray, min_distance: int, rel_threshold: float) -> np.ndarray:
    smooth = ndimage.gaussian_filter(diff, 1.5)
    peak = smooth == ndimage.maximum_filter(smooth, size=2 * min_distance + 1)
    thr = rel_threshold * max(float(smooth.max()), 1e-6)
    ys, xs = np.nonzero(peak & (smooth > thr))
    scores = smooth[ys, xs] / max(float(smooth.max()), 1e-6)
    return np.column_stack([xs, ys, scores]).astype(np.float64)


def _gray(path) -> np.ndarray:
    return read_image(path, gray=True)


def background_blobs(ds: VSCrowd, *, min_distance: int = 3, rel_threshold: float = 0.15,
                     progress: Callable[[str], None] | None = None) -> Predictions:
    """Predict head points for every frame of ``ds`` (see module docstring)."""
    out = RecordBuilder(method="background-blobs")  # arrays in, arrays out
    for video in ds.videos["video"]:
        frames = [fa.frame for fa in ds.iter_frames(video)]
        imgs = np.stack([_gray(ds.image_path(video, f)) for f in frames]).astype(np.float32)
        bg = np.median(imgs, axis=0)
        for f, img in zip(frames, imgs):
            pts = _peaks(np.abs(img - bg), min_distance, rel_threshold)
            out.add({"video": video, "frame": f, "points": pts})
        if progress:
            progress(video)
    return out.build()
