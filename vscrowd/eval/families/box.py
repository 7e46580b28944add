"""Box-threshold P/R/F1 in the style of the NWPU-Crowd localization leaderboard.

A prediction may match a ground-truth head when ``d <= σ_gt``; matches are a
one-to-one *maximum* bipartite matching per frame, and TP/FP/FN are summed over
frames. VSCrowd has head-shoulder boxes, so each head gets ``σ_s = min(w, h) / 2``
(strict) and ``σ_l = sqrt(w² + h²) / 2`` (loose); NWPU-Crowd's ``val_gt_loc.txt``
gives both radii per head (``GroundTruth.radius``).

Dense images (NWPU-Crowd: up to 20,033 heads, radii up to 1,106 px) make a search at
the largest radius of the file quadratic; the candidates are searched per group of
heads of similar radius instead (``radius_pairs``), each at its own largest radius.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from ...errors import ConfigError
from ..candidates import candidate_pairs
from ..matching import max_bipartite_match
from ..text import pct
from .base import Context, MetricFamily

__all__ = ["FAMILY", "BoxThresholdResult", "box_sigmas", "box_threshold_counts", "radius_pairs"]


@dataclass(frozen=True)
class BoxThresholdResult:
    """NWPU-style P/R/F1 with per-head radius from the head-shoulder box."""

    radius: Literal["sigma_s", "sigma_l"]
    tp: int
    fp: int
    fn: int

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def f1(self) -> float | None:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None
                                                    else None)

    def to_dict(self) -> dict[str, Any]:
        return {"radius": self.radius, "TP": self.tp, "FP": self.fp, "FN": self.fn,
                "P": self.precision, "R": self.recall, "F1": self.f1}


def box_sigmas(boxes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(σ_s, σ_l)`` per box ``(x1, y1, x2, y2)``.

    >>> [s.tolist() for s in box_sigmas(np.array([[0, 0, 6, 8]]))]
    [[3.0], [5.0]]
    """
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    return np.minimum(w, h) / 2.0, np.sqrt(w**2 + h**2) / 2.0


def radius_pairs(dt_frame, dt_xy, gt_frame, gt_xy, gt_radius) -> tuple[np.ndarray, np.ndarray]:
    """``(dt_idx, gt_idx)``: every pair of one frame with ``d <= gt_radius[gt]``.

    Heads are grouped by radius in powers of two and each group is searched at its
    own largest radius, against the predictions of its frames only, so one giant head
    does not widen the search of every other head (the pairs are the same as one
    search at the file's largest radius; their order is the groups').

    >>> radius_pairs(np.array([0, 0]), np.array([[0., 0.], [50., 0.]]), np.array([0, 0]),
    ...              np.array([[1., 0.], [0., 0.]]), np.array([1.0, 60.0]))
    (array([0, 0, 1]), array([0, 1, 1]))
    """
    return _radius_pairs(dt_frame, dt_xy, gt_frame, gt_xy, gt_radius)[:2]


def _radius_pairs(dt_frame, dt_xy, gt_frame, gt_xy, gt_radius
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`radius_pairs` and each pair's distance."""
    r = np.asarray(gt_radius, np.float64)
    if len(dt_xy) == 0 or len(gt_xy) == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0)
    group = np.ceil(np.log2(np.maximum(r, 1.0))).astype(np.int64)
    n_frames = int(max(dt_frame.max(), gt_frame.max())) + 1
    parts_d, parts_g = [], []
    for g in np.unique(group):
        sel = np.flatnonzero(group == g)
        frames = np.zeros(n_frames, bool)
        frames[gt_frame[sel]] = True
        dts = np.flatnonzero(frames[dt_frame])  # a few giant heads: a few frames
        pd_, pg = candidate_pairs(dt_frame[dts], dt_xy[dts], gt_frame[sel], gt_xy[sel],
                                  float(r[sel].max()))
        parts_d.append(dts[pd_])
        parts_g.append(sel[pg])
    pd_, pg = np.concatenate(parts_d), np.concatenate(parts_g)
    d = _distances(pd_, pg, dt_xy, gt_xy)
    ok = d <= r[pg]
    return pd_[ok], pg[ok], d[ok]


def _distances(pd_: np.ndarray, pg: np.ndarray, dt_xy: np.ndarray, gt_xy: np.ndarray
               ) -> np.ndarray:
    return np.hypot(dt_xy[pd_, 0] - gt_xy[pg, 0], dt_xy[pd_, 1] - gt_xy[pg, 1])


def box_threshold_counts(dt_frame, dt_xy, gt_frame, gt_xy, gt_sigma, pairs=None, *,
                         radius: Literal["sigma_s", "sigma_l"] = "sigma_s"
                         ) -> BoxThresholdResult:
    """TP, FP and FN of the maximum matching with per-GT radius ``gt_sigma``, labelled
    ``radius`` (``pairs``: the pairs of a wider candidate search to reuse; None:
    searched per radius group, :func:`radius_pairs`)."""
    if pairs is None:
        pd_, pg, d = _radius_pairs(dt_frame, dt_xy, gt_frame, gt_xy, gt_sigma)
    else:
        pd_, pg = pairs
        d = _distances(pd_, pg, dt_xy, gt_xy)
    return _counts(pd_, pg, d, gt_sigma, len(dt_xy), len(gt_xy), radius)


def _counts(pd_, pg, d, gt_sigma, n_dt: int, n_gt: int,
            radius: Literal["sigma_s", "sigma_l"]) -> BoxThresholdResult:
    """The counts of the maximum matching among the pairs with ``d <= gt_sigma[gt]``."""
    ok = d <= gt_sigma[pg]
    tp = int((max_bipartite_match(pd_[ok], pg[ok], n_dt, n_gt) >= 0).sum())
    return BoxThresholdResult(radius, tp, n_dt - tp, n_gt - tp)


def compute(ctx: Context) -> tuple[BoxThresholdResult, ...]:
    """P/R/F1 at σ_s and σ_l: the radii the file gives (NWPU ``val_gt_loc.txt``), else
    the head-shoulder boxes'."""
    gt, al = ctx.gt, ctx.al
    if gt.radius is None and len(gt) and not gt.has_box_sizes:
        # Every radius would be 0: a score of nothing but misses, not a measurement.
        raise ConfigError("--metric box needs head boxes or per-head radii (NWPU's "
                          "val_gt_loc.txt), but this ground truth has points only "
                          "(ShanghaiTech, UCF-QNRF, Venice, Mall, UCSD); use --metric "
                          "sigma or distance")
    sig_s, sig_l = box_sigmas(gt.box) if gt.radius is None else gt.radius.T
    # One search for both radii (each head at the larger of its two), each then keeps
    # its own pairs.
    pd_, pg, d = _radius_pairs(al.dt_frame, al.dt_xy, gt.frame_index, gt.xy,
                               np.maximum(sig_s, sig_l))
    out = tuple(_counts(pd_, pg, d, sig, len(al.dt_xy), len(gt.xy), name)
                for name, sig in (("sigma_s", sig_s), ("sigma_l", sig_l)))
    ctx.step("box")
    return out


FAMILY = MetricFamily(
    name="box", summary="NWPU-style P/R/F1, each head's radius from its box (σ_s, σ_l)",
    cost=0.5,  # s, dense_eval_speed.py on the 2-core machine, 2026-12-03
    compute=compute, to_dict=lambda r: {"box_threshold": [b.to_dict() for b in r]},
    lines=lambda r, fmt: [f"box-threshold {b.radius}: P {pct(b.precision)}  "
                          f"R {pct(b.recall)}  F1 {pct(b.f1)}" for b in r])
