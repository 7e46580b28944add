"""Ground-truth maps computed from (transformed) points -- never by resizing a map.

All functions are vectorized over points: no Python loop per pixel or per head.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from scipy import ndimage
from scipy.spatial import cKDTree

from ..errors import ConfigError

__all__ = ["binary_map", "density_map", "kernel_offsets"]

Kernel = Literal["pixel", "plus", "disk"]


def kernel_offsets(kernel: Kernel = "plus", radius: int = 1) -> np.ndarray:
    """``(K, 2)`` integer ``(dy, dx)`` offsets of a dilation kernel.

    >>> kernel_offsets("plus").tolist()
    [[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]]
    """
    if kernel == "pixel":
        return np.array([[0, 0]])
    if kernel == "plus":
        return np.array([[0, 0], [-1, 0], [1, 0], [0, -1], [0, 1]])
    if kernel == "disk":
        r = int(radius)
        dy, dx = np.mgrid[-r:r + 1, -r:r + 1]
        keep = dy**2 + dx**2 <= r * r
        return np.column_stack([dy[keep], dx[keep]])
    raise ConfigError(f"expected kernel pixel, plus or disk, got {kernel!r}")


def binary_map(points: np.ndarray, size: tuple[int, int], kernel: Kernel = "plus",
               radius: int = 1) -> np.ndarray:
    """RAZNet-style localization map: 1 at each head pixel, dilated by ``kernel``.

    A point ``(x, y)`` marks pixel ``(floor(y), floor(x))``; points exactly on the
    right/bottom border are clamped to the last pixel.

    Returns:
        ``(H, W)`` float32 map of 0/1.
    """
    h, w = size
    out = np.zeros((h, w), np.float32)
    if len(points) == 0:
        return out
    px = np.clip(np.floor(points[:, 0]).astype(np.int64), 0, w - 1)
    py = np.clip(np.floor(points[:, 1]).astype(np.int64), 0, h - 1)
    off = kernel_offsets(kernel, radius)
    ys = (py[:, None] + off[None, :, 0]).ravel()
    xs = (px[:, None] + off[None, :, 1]).ravel()
    ok = (ys >= 0) & (ys < h) & (xs >= 0) & (xs < w)
    out[ys[ok], xs[ok]] = 1.0
    return out


def density_map(points: np.ndarray, size: tuple[int, int], sigma: float | None = 4.0,
                k: int = 3, beta: float = 0.3, downsample: int = 1) -> np.ndarray:
    """Gaussian density map that sums to the head count.

    Args:
        points: ``(N, 2)`` head centers.
        size: ``(H, W)`` at full resolution.
        sigma: Fixed Gaussian σ in px, or None for geometry-adaptive σ =
            ``beta`` × mean distance to the ``k`` nearest heads (MCNN's rule; a
            lone head gets σ = 4).
        downsample: Output at ``1/downsample`` resolution by sum-pooling, which
            preserves the sum exactly (H and W must be divisible by it).

    The sum equals N up to the Gaussian mass that falls outside the image for heads
    near the border (the map is not renormalised there).
    """
    h, w = size
    if downsample < 1 or h % downsample or w % downsample:
        raise ConfigError(f"expected a downsample factor dividing {h}x{w}, got {downsample}")
    out = np.zeros((h, w), np.float64)
    if len(points):
        px = np.clip(np.floor(points[:, 0]).astype(np.int64), 0, w - 1)
        py = np.clip(np.floor(points[:, 1]).astype(np.int64), 0, h - 1)
        if sigma is not None:
            sig = np.full(len(points), float(sigma))
        elif len(points) == 1:
            sig = np.array([4.0])
        else:
            kk = min(k, len(points) - 1)
            d, _ = cKDTree(points).query(points, kk + 1)
            sig = np.maximum(beta * d[:, 1:].mean(axis=1), 0.5)
        # Heads with (nearly) the same σ are filtered together: a handful of filter
        # passes instead of one per head.
        bins = np.round(sig * 4) / 4
        for s in np.unique(bins):
            sel = bins == s
            delta = np.zeros((h, w), np.float64)
            np.add.at(delta, (py[sel], px[sel]), 1.0)
            out += ndimage.gaussian_filter(delta, s, mode="constant", truncate=3.0)
    if downsample > 1:
        out = out.reshape(h // downsample, downsample, w // downsample, downsample).sum((1, 3))
    return out.astype(np.float32)
