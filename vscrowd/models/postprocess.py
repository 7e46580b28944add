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
    value. Plateaus (a one-pixel spike smooths into a flat 3x3 square) are resolved
    by the unsmoothed value, then by raster order, so each yields one peak.
    A peak at pixel (i, j) is the point ``(j + 0.5, i + 0.5)`` (pixel
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
        >>> m = torch.zeros(8, 8); m[2:5, 2:5] = 1.0  # flat 3x3 block: one peak
        >>> len(find_peaks(m)[0])
        1
    """
    x = prob_map
    if x.dim() == 2:
        x = x[None, None]
    elif x.dim() == 3:
        x = x[:, None]
    x = x.float()
    smooth = F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=True)
    key = smooth + 1e-4 * x  # tie-break flat tops by the raw map
    peak = (key == F.max_pool2d(key, 3, stride=1, padding=1)) & (smooth >= threshold)
    # Exact ties left: keep the first candidate in raster order within 3x3.
    kp = F.pad(key, (1, 1, 1, 0), value=float("-inf"))
    pp = F.pad(peak, (1, 1, 1, 0), value=False)
    H, W = key.shape[-2:]
    for dy, dx in ((0, 0), (0, 1), (0, 2), (1, 0)):  # earlier neighbours
        peak &= ~(pp[..., dy:dy + H, dx:dx + W] & (kp[..., dy:dy + H, dx:dx + W] == key))
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
