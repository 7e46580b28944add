"""Probability map -> head points (batched; works on GPU)."""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F

__all__ = ["find_peaks"]


def find_peaks(prob_map: torch.Tensor, threshold: float = 0.5,
               scale: float | Sequence[float] = 1.0,
               offset: Sequence[float] | Sequence[Sequence[float]] = (0.0, 0.0),
               size: Sequence[int] | None = None) -> list[torch.Tensor]:
    """Local maxima of a probability map as scored points.

    The map is smoothed with a 3x3 average; pixels equal to the 3x3 max-pool of the
    smoothed map and at least ``threshold`` are peaks; the score is the smoothed
    value. A peak at pixel (i, j) is the point ``(j + 0.5, i + 0.5)`` (pixel
    centre), mapped back to original pixels as ``(p - offset) / scale``.

    Args:
        prob_map: ``(H, W)``, ``(B, H, W)`` or ``(B, 1, H, W)`` probabilities.
        threshold: Minimum smoothed probability.
        scale, offset: Per batch (or shared) transform to undo (see
            :class:`vscrowd.data.transforms.Clip`).
        size: Optional original ``(H, W)``; points outside (e.g. in eval padding)
            are dropped.

    Returns:
        One ``(N, 3)`` float tensor ``[x, y, score]`` per batch item.

    Example:
        >>> m = torch.zeros(1, 1, 16, 16); m[0, 0, 4, 5] = 1.0
        >>> find_peaks(m, threshold=0.1)[0].tolist()
        [[5.5, 4.5, 0.1111111119389534]]
    """
    x = prob_map
    if x.dim() == 2:
        x = x[None, None]
    elif x.dim() == 3:
        x = x[:, None]
    smooth = F.avg_pool2d(x.float(), 3, stride=1, padding=1, count_include_pad=True)
    peak = (smooth == F.max_pool2d(smooth, 3, stride=1, padding=1)) & (smooth >= threshold)
    out = []
    B = x.shape[0]
    scales = [float(scale)] * B if isinstance(scale, (int, float)) else [float(s) for s in scale]
    offs = ([tuple(offset)] * B if len(offset) == 2 and not isinstance(offset[0], Sequence)
            else [tuple(o) for o in offset])
    for b in range(B):
        idx = peak[b, 0].nonzero()
        ys, xs = idx[:, 0], idx[:, 1]
        score = smooth[b, 0, ys, xs]
        px = (xs.float() + 0.5 - offs[b][0]) / scales[b]
        py = (ys.float() + 0.5 - offs[b][1]) / scales[b]
        pts = torch.stack([px, py, score], 1)
        if size is not None:
            h, w = size
            keep = (pts[:, 0] >= 0) & (pts[:, 0] < w) & (pts[:, 1] >= 0) & (pts[:, 1] < h)
            pts = pts[keep]
        out.append(pts)
    return out
