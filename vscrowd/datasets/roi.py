"""Regions of interest: the masks some datasets publish with their frames (Venice's
per-frame ``roi``, UCSD's ``roi.mask``) and the heads that fall inside one."""

from __future__ import annotations

import numpy as np

__all__ = ["heads_inside"]


def heads_inside(mask: np.ndarray, xy: np.ndarray) -> int:
    """How many of the ``(n, 2)`` points lie inside the ``(height, width)`` bool mask.

    The points are MATLAB pixel coordinates as these datasets store them (pixel
    ``(1, 1)`` is the top-left one), so the pixel of ``(x, y)`` is
    ``(round(x) - 1, round(y) - 1)``; points off the mask are outside.

    >>> heads_inside(np.array([[True, False]]), np.array([[1.2, 1.0], [2.0, 1.0], [9, 9]]))
    1
    """
    h, w = mask.shape
    ij = np.round(np.asarray(xy, np.float64)).astype(np.int64) - 1
    ok = (ij[:, 0] >= 0) & (ij[:, 0] < w) & (ij[:, 1] >= 0) & (ij[:, 1] < h)
    return int(mask[ij[ok, 1], ij[ok, 0]].sum())
