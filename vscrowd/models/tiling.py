"""Running a model over frames larger than it needs to see at once: overlapping tiles.

A 24-megapixel NWPU-Crowd image through the VGG16 backbone in one piece holds
activations of 64 channels at full resolution (~6 GB in float32); training sees crops
(``data.crop``) anyway. A frame with a side longer than ``tile`` pixels is therefore run
in tiles of ``tile`` x ``tile`` pixels, each with the context around it, and each tile
keeps only its own part of the output, so the largest activation is that of one tile
plus its margins, whatever the frame. Frames up to ``tile`` on both sides run whole,
exactly as before: the default (:data:`vscrowd.choices.TILE`, 2048) leaves every video
dataset of the paper (1920x1080 at most) untouched.

The margins are what makes tiles agree with the whole frame:

* backbone (:data:`BACKBONE_MARGIN`): VGG16 up to conv4_3 sees 92 px, 46 on each side,
  so 64 px (the next multiple of 8) of real pixels around a tile give its features
  exactly;
* head (:data:`HEAD_MARGIN`, in pixels; features are 8x smaller): the prediction
  module's convolutions see about 12 feature pixels on each side, and a Gaussian
  neighbourhood draws 99 % of its keys within 3γ (30 feature pixels at the largest
  default focus γ = 10), so 32 feature pixels (256 px) of context. A model without
  attention (``baseline``) gives the whole-frame output to rounding; with GNA a key
  drawn beyond the margin meets the tile's edge (the border policy) instead of the
  frame's pixels.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction

import torch

from ..errors import ConfigError

__all__ = ["BACKBONE_MARGIN", "HEAD_MARGIN", "tiled", "tiled_features", "tiled_forward",
           "tiled_logits"]

#: Pixels of context around a backbone tile (VGG16 conv4_3: 46 px each side).
BACKBONE_MARGIN = 64
#: Pixels of context around a head tile (3γ at γ = 10 feature px, x8, rounded up).
HEAD_MARGIN = 256


def tiled(fn: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor, tile: int,
          margin: int) -> torch.Tensor:
    """``fn(x)`` for ``x`` ``(..., H, W)``, computed tile by tile: ``fn`` sees tiles of
    ``tile`` x ``tile`` (the last ones smaller) with up to ``margin`` of ``x`` around
    them, and each tile's own part of its output is pasted into the result.

    ``fn`` maps ``(..., h, w)`` to ``(..., s h, s w)`` for one scale ``s`` (1/8 for a
    backbone, 8 for a head); ``tile`` and ``margin`` are in units of ``x`` and, with
    ``H`` and ``W``, multiples of ``1/s`` where ``s < 1``. ``x`` no larger than one tile
    is passed whole.
    """
    if max(x.shape[-2:]) <= tile:
        return fn(x)
    H, W = x.shape[-2:]
    out, s = None, None
    for y0 in range(0, H, tile):
        for x0 in range(0, W, tile):
            y1, x1 = min(y0 + tile, H), min(x0 + tile, W)
            a, b = max(y0 - margin, 0), max(x0 - margin, 0)
            part = fn(x[..., a:min(y1 + margin, H), b:min(x1 + margin, W)])
            if out is None:
                s = Fraction(part.shape[-1], min(x1 + margin, W) - b)
                out = part.new_empty(*part.shape[:-2], _at(H, s), _at(W, s))
            out[..., _at(y0, s):_at(y1, s), _at(x0, s):_at(x1, s)] = \
                part[..., _at(y0 - a, s):_at(y1 - a, s), _at(x0 - b, s):_at(x1 - b, s)]
    return out


def _at(n: int, s: Fraction) -> int:
    """``n`` input units in output units (exact: tiles lie on the output's grid)."""
    v = n * s
    if v.denominator != 1:
        raise ConfigError(f"a tile edge at {n} falls between output pixels (scale {s}); "
                          "use tile sizes and frames in multiples of 8")
    return int(v)


def _stride(model) -> int:
    """Input pixels per feature pixel of ``model.extract`` (GNANet: 8)."""
    return int(getattr(model, "feature_stride", 8))


def tiled_features(model, frames: torch.Tensor, tile: int | None) -> torch.Tensor:
    """``model.extract(frames)`` (``(N, 3, H, W)`` -> ``(N, C, H/8, W/8)``), in tiles of
    ``tile`` px where a side is longer (None: whole)."""
    if tile is None:
        return model.extract(frames)
    return tiled(model.extract, frames, tile, BACKBONE_MARGIN)


def tiled_logits(model, clip: torch.Tensor, tile: int | None) -> torch.Tensor:
    """Logits ``(B, 1, H, W)`` of a clip: ``model.forward_features(clip)`` on per-frame
    features ``(B, m, C, H/8, W/8)`` where the model splits its forward pass, else
    ``model(clip)`` on the frames ``(B, m, 3, H, W)`` (any registered model); in tiles of
    ``tile`` px of the frame where a side is longer (None: whole)."""
    if not hasattr(model, "forward_features"):
        return model(clip) if tile is None else tiled(model, clip, tile, HEAD_MARGIN)
    if tile is None:
        return model.forward_features(clip)
    k = _stride(model)
    return tiled(model.forward_features, clip, max(tile // k, 1), HEAD_MARGIN // k)


def tiled_forward(model, clip: torch.Tensor, tile: int | None) -> torch.Tensor:
    """``model(clip)`` (``(B, m, 3, H, W)`` -> logits ``(B, 1, H, W)``) with the backbone
    and the head run in tiles where a side of the frames is longer than ``tile``."""
    if tile is None or max(clip.shape[-2:]) <= tile:
        return model(clip)
    if not hasattr(model, "extract"):
        return tiled_logits(model, clip, tile)
    B, m = clip.shape[:2]
    feats = tiled_features(model, clip.flatten(0, 1), tile)
    return tiled_logits(model, feats.view(B, m, *feats.shape[1:]), tile)
