"""Clip transforms applied identically to every frame of a clip and to its points.

Transforms work on numpy arrays (frames ``(H, W, 3)`` uint8 RGB, points ``(N, 2)``,
boxes ``(N, 4)``) and take a :class:`numpy.random.Generator`, so a sample is a pure
function of its seed. Geometry is in pixel coordinates where a point at ``x`` lies
in pixel ``floor(x)``; scaling by s maps ``x -> x * s``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from ..errors import ConfigError

__all__ = ["Clip", "ColorJitter", "Compose", "EvalPad", "RandomCrop", "RandomFlip",
           "RandomScale", "RandomScaleCrop", "eval_transform", "train_transform"]


@dataclass(frozen=True)
class Clip:
    """Frames of one clip and the objective frame's annotations.

    Attributes:
        frames: list of ``(H, W, 3)`` uint8 RGB arrays, all the same size.
        points: ``(N, 2)`` float64 head centers of the objective frame.
        boxes: ``(N, 4)`` float64 boxes.
        head_ids: ``(N,)`` int64.
        scale: Total scale applied so far (original pixels * scale = current).
        offset: ``(x, y)`` added after scaling (crop/pad shifts), so that
            ``original = (current - offset) / scale``.
    """

    frames: list[np.ndarray]
    points: np.ndarray
    boxes: np.ndarray
    head_ids: np.ndarray
    scale: float = 1.0
    offset: tuple[float, float] = (0.0, 0.0)
    flipped: bool = field(default=False)

    @property
    def size(self) -> tuple[int, int]:
        """``(H, W)`` of the frames."""
        return self.frames[0].shape[:2]

    def keep(self, mask: np.ndarray) -> Clip:
        return replace(self, points=self.points[mask], boxes=self.boxes[mask],
                       head_ids=self.head_ids[mask])


class Compose:
    """Apply transforms in order."""

    def __init__(self, transforms: Sequence) -> None:
        self.transforms = list(transforms)

    def __call__(self, clip: Clip, rng: np.random.Generator) -> Clip:
        for t in self.transforms:
            clip = t(clip, rng)
        return clip


class RandomScale:
    """Resize all frames by one random factor in ``[lo, hi]``."""

    def __init__(self, lo: float = 0.8, hi: float = 1.2) -> None:
        if not 0 < lo <= hi:
            raise ConfigError(f"expected 0 < lo <= hi, got {lo}, {hi}")
        self.lo, self.hi = lo, hi

    def __call__(self, clip: Clip, rng: np.random.Generator) -> Clip:
        s = float(rng.uniform(self.lo, self.hi))
        h, w = clip.size
        nh, nw = max(1, round(h * s)), max(1, round(w * s))
        sx, sy = nw / w, nh / h
        frames = [cv2.resize(f, (nw, nh), interpolation=cv2.INTER_LINEAR) for f in clip.frames]
        pts = clip.points * [sx, sy]
        boxes = clip.boxes * [sx, sy, sx, sy]
        ox, oy = clip.offset
        return replace(clip, frames=frames, points=pts, boxes=boxes, scale=clip.scale * sx,
                       offset=(ox * sx, oy * sy))


class RandomCrop:
    """Random ``(H, W)`` crop; frames smaller than the crop are zero-padded first.

    Points outside the crop are dropped with their boxes and ids.
    """

    def __init__(self, size: tuple[int, int]) -> None:
        if size[0] % 8 or size[1] % 8 or min(size) <= 0:
            raise ConfigError(f"expected a crop size of positive multiples of 8, got {size}")
        self.size = tuple(size)

    def __call__(self, clip: Clip, rng: np.random.Generator) -> Clip:
        ch, cw = self.size
        h, w = clip.size
        ph, pw = max(0, ch - h), max(0, cw - w)
        frames = clip.frames
        if ph or pw:
            frames = [np.pad(f, ((0, ph), (0, pw), (0, 0))) for f in frames]
        y0 = int(rng.integers(0, h + ph - ch + 1))
        x0 = int(rng.integers(0, w + pw - cw + 1))
        frames = [f[y0:y0 + ch, x0:x0 + cw] for f in frames]
        pts = clip.points - [x0, y0]
        boxes = clip.boxes - [x0, y0, x0, y0]
        inside = (pts[:, 0] >= 0) & (pts[:, 0] < cw) & (pts[:, 1] >= 0) & (pts[:, 1] < ch)
        ox, oy = clip.offset
        out = replace(clip, frames=frames, points=pts, boxes=boxes, offset=(ox - x0, oy - y0))
        return out.keep(inside)


class RandomScaleCrop:
    """:class:`RandomScale` then :class:`RandomCrop` in one resampling step.

    Only the crop window is resampled (``cv2.warpAffine``), so the cost is
    proportional to the crop, not to the scaled full frame. Geometry and random
    draws are those of ``RandomScale(lo, hi)`` followed by ``RandomCrop(size)``.
    """

    def __init__(self, size: tuple[int, int], lo: float = 0.8, hi: float = 1.2) -> None:
        self.scale = RandomScale(lo, hi)
        self.crop = RandomCrop(size)

    def __call__(self, clip: Clip, rng: np.random.Generator) -> Clip:
        s = float(rng.uniform(self.scale.lo, self.scale.hi))
        h, w = clip.size
        nh, nw = max(1, round(h * s)), max(1, round(w * s))
        sx, sy = nw / w, nh / h
        ch, cw = self.crop.size
        ph, pw = max(0, ch - nh), max(0, cw - nw)
        y0 = int(rng.integers(0, nh + ph - ch + 1))
        x0 = int(rng.integers(0, nw + pw - cw + 1))
        # Pixel centres: (u + 0.5) = s (X + 0.5) - x0, as cv2.resize then slicing.
        m = np.array([[sx, 0, 0.5 * sx - 0.5 - x0], [0, sy, 0.5 * sy - 0.5 - y0]])
        frames = [cv2.warpAffine(f, m, (cw, ch), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=0)
                  for f in clip.frames]
        if ph or pw:  # outside the scaled frame is zero padding, as RandomCrop pads
            for f in frames:
                f[max(0, nh - y0):, :] = 0
                f[:, max(0, nw - x0):] = 0
        pts = clip.points * [sx, sy] - [x0, y0]
        boxes = clip.boxes * [sx, sy, sx, sy] - [x0, y0, x0, y0]
        inside = (pts[:, 0] >= 0) & (pts[:, 0] < cw) & (pts[:, 1] >= 0) & (pts[:, 1] < ch)
        ox, oy = clip.offset
        out = replace(clip, frames=frames, points=pts, boxes=boxes, scale=clip.scale * sx,
                      offset=(ox * sx - x0, oy * sy - y0))
        return out.keep(inside)


class RandomFlip:
    """Horizontal flip with probability ``p``: ``x -> W - x``."""

    def __init__(self, p: float = 0.5) -> None:
        self.p = p

    def __call__(self, clip: Clip, rng: np.random.Generator) -> Clip:
        if rng.uniform() >= self.p:
            return clip
        w = clip.size[1]
        frames = [np.ascontiguousarray(f[:, ::-1]) for f in clip.frames]
        pts = clip.points.copy()
        pts[:, 0] = w - pts[:, 0]
        boxes = clip.boxes.copy()
        boxes[:, [0, 2]] = w - clip.boxes[:, [2, 0]]
        return replace(clip, frames=frames, points=pts, boxes=boxes, flipped=not clip.flipped)


class ColorJitter:
    """Random brightness/contrast/saturation, the same for every frame of the clip."""

    def __init__(self, brightness: float = 0.2, contrast: float = 0.2,
                 saturation: float = 0.2) -> None:
        self.b, self.c, self.s = brightness, contrast, saturation

    def __call__(self, clip: Clip, rng: np.random.Generator) -> Clip:
        b = 1 + rng.uniform(-self.b, self.b)
        c = 1 + rng.uniform(-self.c, self.c)
        s = 1 + rng.uniform(-self.s, self.s)
        out = []
        # uint8 OpenCV arithmetic (saturating) instead of float32 numpy: ~10x faster.
        for f in clip.frames:
            x = cv2.addWeighted(f, b, f, 0.0, 0.0)
            gray = cv2.cvtColor(cv2.cvtColor(x, cv2.COLOR_RGB2GRAY), cv2.COLOR_GRAY2RGB)
            x = cv2.addWeighted(x, s, gray, 1.0 - s, 0.0)
            mean = sum(cv2.mean(x)[:3]) / 3
            x = cv2.addWeighted(x, c, x, 0.0, mean * (1.0 - c))
            out.append(x)
        return replace(clip, frames=out)


class EvalPad:
    """Zero-pad bottom/right to a multiple of ``multiple``; remembers nothing to undo,
    since padding at the bottom/right leaves coordinates unchanged."""

    def __init__(self, multiple: int = 8) -> None:
        self.multiple = multiple

    def __call__(self, clip: Clip, rng: np.random.Generator | None = None) -> Clip:
        h, w = clip.size
        ph, pw = (-h) % self.multiple, (-w) % self.multiple
        if not (ph or pw):
            return clip
        return replace(clip, frames=[np.pad(f, ((0, ph), (0, pw), (0, 0)))
                                     for f in clip.frames])


def train_transform(crop: tuple[int, int] = (256, 256), scale: tuple[float, float] = (0.8, 1.2),
                    flip: float = 0.5, jitter: float = 0.2) -> Compose:
    """Scale -> crop (fused) -> flip -> colour jitter (the training recipe); ``flip=0``
    or ``jitter=0`` leaves that step out."""
    steps = [RandomScaleCrop(crop, *scale)]
    if flip > 0:
        steps.append(RandomFlip(flip))
    if jitter > 0:
        steps.append(ColorJitter(jitter, jitter, jitter))
    return Compose(steps)


def eval_transform(multiple: int = 8) -> Compose:
    """Pad to a multiple of 8 (the model's output stride); points stay put."""
    return Compose([EvalPad(multiple)])
