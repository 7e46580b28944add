"""Probability map -> scored head points (batched; works on GPU), and the two thresholds
a trained model carries: the score floor of its predictions and its count threshold.

The rule (docs/model.md, "Post-processing"):

1. **Candidates** are the pixels that are a local maximum of the *raw* probability map
   in their 3x3 neighbourhood and whose own probability is at least ``threshold``.
2. Candidates are **ranked** by their own probability, ties by the map summed over the
   target's plus-shaped mark (centre and 4 neighbours, the shape the model is trained
   to draw: it points at the mark's centre), then by raster order.
3. **Non-maximum suppression** at ``radius`` output pixels (Euclidean, inclusive):
   greedily, best rank first, a candidate is dropped when a kept one lies within
   ``radius``. Computed in parallel over the map for all but chains of peaks, which
   the greedy loop finishes: exactly the greedy answer.

The score of a point is its pixel's own probability: the threshold and the scores are
on the same scale as the model's output. Smoothing never decides whether a head is
kept, only which pixel of a flat top stands for it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from ..errors import ConfigError

__all__ = ["DEFAULT_COUNT_THRESHOLD", "DEFAULT_SCORE_FLOOR", "NMS_CANDIDATES", "NMS_RADIUS",
           "PeakRule", "choose_count_threshold", "choose_nms_radius", "find_peaks"]

#: Peaks closer than this (output pixels, inclusive) to a better one are suppressed.
#: 2 px: a training mark's arms (1 px from its centre) never become a second head, and
#: heads 3 px apart stay apart.
NMS_RADIUS = 2.0
#: The NMS radii (output pixels) training tries on the validation hold-out. How far
#: apart two heads' peaks may be depends on the dataset's head sizes and on how sharp
#: the model's map is (a briefly trained model draws wide blobs with several local
#: maxima per head), so the radius is chosen, not fixed: see :func:`choose_nms_radius`.
NMS_CANDIDATES = (1.0, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0)
#: Lowest score kept in predictions: low enough that AP sees the whole
#: precision-recall curve (as detectors keep low-confidence boxes).
DEFAULT_SCORE_FLOOR = 0.05
#: Points counted when no threshold was chosen on validation data.
DEFAULT_COUNT_THRESHOLD = 0.5


@dataclass(frozen=True)
class PeakRule:
    """How a model's probability map becomes points and counts.

    Attributes:
        score_floor: Points with a score below this are not predicted.
        count_threshold: Points with a score at least this are counted (MAE/RMSE).
        radius: NMS radius in output pixels.
    """

    score_floor: float = DEFAULT_SCORE_FLOOR
    count_threshold: float = DEFAULT_COUNT_THRESHOLD
    radius: float = NMS_RADIUS

    def validate(self) -> PeakRule:
        for name in ("score_floor", "count_threshold"):
            v = getattr(self, name)
            if not 0.0 <= v <= 1.0:
                raise ConfigError(f"expected {name} in [0, 1] (a probability), got {v}")
        if not (self.radius >= 0 and math.isfinite(self.radius)):
            raise ConfigError(f"expected a finite NMS radius >= 0, got {self.radius}")
        return self


def _disk_rectangles(radius: float) -> list[tuple[int, int]]:
    """The disk of ``radius`` (Euclidean, inclusive) as a union of centred rectangles
    ``(half height, half width)``: one per distinct row half-width."""
    r = int(math.floor(radius))
    half = {dy: int(math.floor(math.sqrt(max(radius * radius - dy * dy, 0.0))))
            for dy in range(0, r + 1)}
    return [(max(dy for dy, w in half.items() if w >= hw), hw)
            for hw in sorted(set(half.values()))]


def _disk_max(x: torch.Tensor, rects: list[tuple[int, int]]) -> torch.Tensor:
    """Maximum of float ``x`` ``(B, H, W)`` over each pixel's disk (max-pools over the
    disk's rectangles; outside the map counts as -inf)."""
    out = None
    for hh, hw in rects:
        m = F.max_pool2d(x[:, None], (2 * hh + 1, 2 * hw + 1), stride=1,
                         padding=(hh, hw))[:, 0]
        out = m if out is None else torch.maximum(out, m)
    return out


def _plus_sums(prob: torch.Tensor, idx: torch.Tensor) -> torch.Tensor:
    """The map summed over the plus mark (centre + 4 neighbours, 0 outside) at the flat
    indices ``idx`` of ``prob`` ``(B, H, W)``, in float64 and one fixed order: the tie
    key must not depend on how a float32 convolution happens to round (ties of equal
    probability are decided by it)."""
    b, h, w = prob.shape
    p = F.pad(prob, (1, 1, 1, 1)).double()
    i, rem = idx // (h * w), idx % (h * w)
    y, x = rem // w + 1, rem % w + 1
    return (p[i, y, x] + p[i, y - 1, x] + p[i, y + 1, x] + p[i, y, x - 1] + p[i, y, x + 1])


def _ranks(prob: torch.Tensor, cand: torch.Tensor) -> torch.Tensor:
    """Distinct ranks of the candidates (higher = better; float32, exact below 2**24
    candidates), -1 elsewhere."""
    idx = cand.flatten().nonzero()[:, 0]
    if len(idx) >= 2 ** 24:
        raise ValueError(f"expected fewer than 2**24 peak candidates, got {len(idx)}")
    plus = _plus_sums(prob, idx)
    order = torch.arange(len(idx), device=prob.device)
    # Lexicographic sort by stable passes, least significant key first.
    order = order[torch.sort(-plus[order], stable=True).indices]
    order = order[torch.sort(-prob.flatten()[idx][order], stable=True).indices]
    rank = torch.full((prob.numel(),), -1.0, dtype=torch.float32, device=prob.device)
    rank[idx[order]] = torch.arange(len(idx), 0, -1, device=prob.device,
                                    dtype=torch.float32)
    return rank.view_as(prob)


def _nms(rank: torch.Tensor, radius: float) -> torch.Tensor:
    """Greedy NMS. First, in parallel over the map: a candidate that is the best one
    within its disk is kept (greedy would keep it too), and the candidates near it are
    suppressed. The few left undecided (a chain of peaks, each within the radius of the
    next) are finished by the greedy loop itself, best first."""
    rects = _disk_rectangles(radius)
    undecided = rank >= 0
    kept = undecided & (rank == _disk_max(rank, rects))
    undecided &= _disk_max(kept.float(), rects) == 0
    if bool(undecided.any()):
        kept |= _greedy(rank, undecided, radius)
    return kept


def _greedy(rank: torch.Tensor, undecided: torch.Tensor, radius: float) -> torch.Tensor:
    """Greedy NMS among the ``undecided`` pixels only (nothing else is near them)."""
    r = int(math.floor(radius))
    disk = [(dy, dx) for dy in range(-r, r + 1) for dx in range(-r, r + 1)
            if dy * dy + dx * dx <= radius * radius]
    idx = undecided.nonzero()
    order = torch.argsort(rank[undecided], descending=True)
    taken: set[tuple[int, int, int]] = set()
    for b, y, x in idx[order].tolist():
        if not any((b, y + dy, x + dx) in taken for dy, dx in disk):
            taken.add((b, y, x))
    out = torch.zeros_like(undecided)
    if taken:
        t = torch.tensor(sorted(taken), device=rank.device)
        out[t[:, 0], t[:, 1], t[:, 2]] = True
    return out


def find_peaks(prob_map: torch.Tensor, threshold: float = DEFAULT_SCORE_FLOOR,
               scale: float | Sequence[float] = 1.0,
               offset: Sequence[float] | Sequence[Sequence[float]] = (0.0, 0.0),
               size: Sequence[int] | None = None,
               radius: float = NMS_RADIUS) -> list[torch.Tensor]:
    """Peaks of a probability map as scored points (the rule in the module docstring).

    A peak at pixel (i, j) is the point ``(j + 0.5, i + 0.5)`` (pixel centre), mapped
    back to original pixels as ``(p - offset) / scale``; its score is the pixel's own
    probability.

    Args:
        prob_map: ``(H, W)``, ``(B, H, W)`` or ``(B, 1, H, W)`` probabilities.
        threshold: Minimum probability of a peak (a score floor or a count threshold).
        scale, offset: Per batch (or shared) transform to undo (see
            :class:`vscrowd.data.transforms.Clip`).
        size: Optional original ``(H, W)``; points outside (e.g. in eval padding)
            are dropped.
        radius: NMS radius in output pixels (:data:`NMS_RADIUS`).

    Returns:
        One ``(N, 3)`` float tensor ``[x, y, score]`` per batch item.

    Example:
        >>> m = torch.zeros(1, 1, 16, 16); m[0, 0, 4, 5] = 1.0  # a one-pixel spike
        >>> find_peaks(m, threshold=0.5)[0].tolist()
        [[5.5, 4.5, 1.0]]
        >>> m = torch.zeros(8, 8); m[2:5, 2:5] = 0.7  # flat 3x3 block: one peak
        >>> find_peaks(m)[0].tolist()
        [[3.5, 3.5, 0.699999988079071]]
    """
    x = prob_map
    if x.dim() == 4:
        x = x[:, 0]
    elif x.dim() == 2:
        x = x[None]
    x = x.float()
    local_max = x == F.max_pool2d(x[:, None], 3, stride=1, padding=1)[:, 0]
    keep = _nms(_ranks(x, local_max & (x >= threshold)), radius)
    B = x.shape[0]
    scales = [float(scale)] * B if isinstance(scale, (int, float)) else [float(s) for s in scale]
    offs = ([tuple(offset)] * B if len(offset) == 2 and not isinstance(offset[0], Sequence)
            else [tuple(o) for o in offset])
    out = []
    for b in range(B):
        idx = keep[b].nonzero()
        ys, xs = idx[:, 0], idx[:, 1]
        score = x[b, ys, xs]
        px = (xs.float() + 0.5 - offs[b][0]) / scales[b]
        py = (ys.float() + 0.5 - offs[b][1]) / scales[b]
        pts = torch.stack([px, py, score], 1)
        if size is not None:
            h, w = size
            ok = (pts[:, 0] >= 0) & (pts[:, 0] < w) & (pts[:, 1] >= 0) & (pts[:, 1] < h)
            pts = pts[ok]
        out.append(pts)
    return out


def choose_count_threshold(scores: Sequence[np.ndarray], counts: Sequence[int],
                           floor: float = DEFAULT_SCORE_FLOOR, max_candidates: int = 2000
                           ) -> tuple[float, float]:
    """``(threshold, MAE)``: the count threshold minimising the mean absolute count
    error over frames, a frame counting its points with score >= threshold.

    Candidates are the observed scores (at most ``max_candidates`` of them, evenly
    spaced in rank), the floor, and 1.0 + epsilon (count nothing). Ties go to the
    candidate closest to :data:`DEFAULT_COUNT_THRESHOLD`.

    >>> choose_count_threshold([np.array([0.9, 0.4, 0.1]), np.array([0.8, 0.3])], [2, 1])
    (0.4, 0.0)
    """
    if len(scores) != len(counts) or not len(scores):
        raise ConfigError(f"expected scores and counts for the same frames (>= 1), got "
                          f"{len(scores)} and {len(counts)}")
    sorted_f = [np.sort(np.asarray(s, np.float64)) for s in scores]
    allv = np.unique(np.concatenate([s[s >= floor] for s in sorted_f] + [np.array([floor])]))
    if len(allv) > max_candidates:
        allv = allv[np.linspace(0, len(allv) - 1, max_candidates).round().astype(int)]
    cand = np.append(allv, np.nextafter(1.0, 2.0))
    pred = np.stack([len(s) - np.searchsorted(s, cand, side="left") for s in sorted_f])
    mae = np.abs(pred - np.asarray(counts, np.float64)[:, None]).mean(0)
    best = np.flatnonzero(mae == mae.min())
    pick = best[np.argmin(np.abs(cand[best] - DEFAULT_COUNT_THRESHOLD))]
    return float(cand[pick]), float(mae[pick])


def choose_nms_radius(quality: Mapping[float, float], prefer: float = NMS_RADIUS
                      ) -> tuple[float, float]:
    """``(radius, quality)``: the NMS radius with the highest validation quality (the
    mean σ-mAP over σ = 5/20/40 when training chooses it); ties go to ``prefer`` when it
    is among the best (a validation set that cannot tell them apart changes nothing),
    else to the smallest radius (it keeps close heads apart).

    >>> choose_nms_radius({1.0: 0.5, 4.0: 0.7, 8.0: 0.7})
    (4.0, 0.7)
    >>> choose_nms_radius({1.0: 0.0, 2.0: 0.0, 4.0: 0.0}, prefer=2.0)
    (2.0, 0.0)
    """
    if not quality:
        raise ConfigError("expected the validation quality of at least one NMS radius")
    best = max(quality.values())
    tied = [r for r, q in quality.items() if q == best]
    radius = prefer if prefer in tied else min(tied)
    return float(radius), float(best)
