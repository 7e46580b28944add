"""Synthetic video datasets in their own formats (``vscrowd synth --flavour NAME`` for
FDST, Venice, DroneCrowd): a seeded plan of short videos whose people keep their track
ID and drift a few pixels from frame to frame, which each dataset module writes in its
native layout. Boxes are integer-valued (the formats store integer pixel boxes), so
reading back gives exactly the boxes written and their centres exactly.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .synth_images import SynthImage

__all__ = ["SynthFrame", "as_images", "plan_videos"]


@dataclass(frozen=True)
class SynthFrame:
    """One planned frame of one video: its heads' boxes and track IDs."""

    split: str
    video: str
    index: int  # 1-based within the video
    size: tuple[int, int]
    box: np.ndarray  # (n, 4) x1, y1, x2, y2, integer-valued
    ids: np.ndarray  # (n,) track IDs, 1-based within the video

    @property
    def xy(self) -> np.ndarray:
        """The box centres (every format here annotates or scores the centre)."""
        return (self.box[:, :2] + self.box[:, 2:]) / 2


def plan_videos(seed: int, splits: Mapping[str, int], *, frames: int = 4,
                size: tuple[int, int] = (320, 180), heads: tuple[int, int] = (5, 30),
                names: Mapping[str, list[str]] | None = None,
                leave: bool = True) -> list[SynthFrame]:
    """``splits[s]`` videos per split of ``frames`` frames each, in order; videos are
    named ``names[s]`` or numbered from 1 across splits. A person may leave: each frame
    drops one track with probability 1/2, so counts vary along a video (``leave=False``:
    the same people throughout, for long videos that would otherwise empty out)."""
    rng = np.random.default_rng(seed)
    out, k = [], 0
    w, h = size
    for split, n in splits.items():
        for j in range(n):
            k += 1
            video = names[split][j] if names else str(k)
            count = int(rng.integers(heads[0], heads[1] + 1))
            ids = np.arange(1, count + 1)
            wh = rng.integers(4, 16, (count, 2))
            xy = rng.uniform([2, 2], [w - 20, h - 20], (count, 2))
            for f in range(1, frames + 1):
                if f > 1:
                    xy = np.clip(xy + rng.normal(0, 2, xy.shape), 2, [w - 20, h - 20])
                    if leave and len(ids) > 1 and rng.random() < 0.5:
                        keep = np.arange(len(ids)) != rng.integers(len(ids))
                        ids, wh, xy = ids[keep], wh[keep], xy[keep]
                x1y1 = np.round(xy)
                box = np.column_stack([x1y1, x1y1 + wh]).astype(np.float64)
                out.append(SynthFrame(split, video, f, size, box, ids.copy()))
    return out


def as_images(frames: list[SynthFrame]) -> list[SynthImage]:
    """The frames as ``synth_images`` plans (for ``write_manifest`` and ``write_image``)."""
    return [SynthImage(f.split, i, f.size, f.xy, f.box[:, 2:] - f.box[:, :2])
            for i, f in enumerate(frames, start=1)]
