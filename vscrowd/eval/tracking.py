"""Point-tracking metrics: HOTA (DetA, AssA, LocA), CLEAR (MOTA, MOTP, IDSW, Frag) and
identity (IDF1, IDP, IDR), on head points with track IDs.

The similarity of a predicted point and a ground-truth head replaces box IoU:
``exp(-d²/(2σ²))`` (``"gaussian"``, the same law as σ-AP; σ = 20 px by default) or
``max(0, 1 - d/d0)`` (``"euclidean"``, TrackEval's point-distance form). The definitions
follow the published metrics as TrackEval computes them (Luiten et al., IJCV 2021; Bernardin
& Stiefelhagen 2008; Ristani et al. 2016); docs/metrics.md writes them out, and the tests
compare every number with TrackEval and motmetrics.

Per video, frames are visited in order (one Hungarian assignment per frame, on that
frame's small similarity matrix); everything else is array work. Videos are combined as
TrackEval combines sequences: counts are summed, AssA/LocA/MOTP weighted by TP.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from scipy.optimize import linear_sum_assignment

__all__ = ["HOTA_ALPHAS", "TrackSequence", "TrackingResult", "sequence_counts",
           "tracking_metrics"]

Similarity = Literal["gaussian", "euclidean"]
HOTA_ALPHAS = np.arange(0.05, 0.99, 0.05)
HOTA_ALPHAS.flags.writeable = False
_CLEAR_THRESHOLD = 0.5
_EPS = np.finfo(float).eps


@dataclass(frozen=True)
class TrackSequence:
    """One video: ground-truth and predicted points with track IDs, as aligned arrays.

    ``*_frame`` are int64 frame positions in ``[0, n_frames)``; ``*_id`` int64 track
    IDs; ``*_xy`` float64 ``(n, 2)``.
    """

    n_frames: int
    gt_frame: np.ndarray
    gt_id: np.ndarray
    gt_xy: np.ndarray
    dt_frame: np.ndarray
    dt_id: np.ndarray
    dt_xy: np.ndarray


@dataclass(frozen=True)
class TrackingResult:
    """The tracking table; ratios as fractions in [0, 1], counts as integers."""

    HOTA: float
    DetA: float
    AssA: float
    LocA: float
    MOTA: float
    MOTP: float
    IDSW: int
    Frag: int
    IDF1: float
    IDP: float
    IDR: float
    similarity: str
    sigma: float

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in ("HOTA", "DetA", "AssA", "LocA", "MOTA", "MOTP",
                                              "IDSW", "Frag", "IDF1", "IDP", "IDR",
                                              "similarity", "sigma")}


def _similarity(dt: np.ndarray, gt: np.ndarray, kind: Similarity, scale: float) -> np.ndarray:
    """``(G, D)`` similarity of every ground-truth head to every predicted point."""
    d2 = ((gt[:, None, :] - dt[None, :, :]) ** 2).sum(-1)
    if kind == "gaussian":
        return np.exp(-d2 / (2.0 * scale**2))
    return np.maximum(0.0, 1.0 - np.sqrt(d2) / scale)


def _frames(seq: TrackSequence, kind: Similarity, scale: float):
    """Per frame: (gt ids, dt ids, similarity), ids relabelled to 0..n-1 per video."""
    g_ids, g_inv = np.unique(seq.gt_id, return_inverse=True)
    d_ids, d_inv = np.unique(seq.dt_id, return_inverse=True)
    g_order = np.argsort(seq.gt_frame, kind="stable")
    d_order = np.argsort(seq.dt_frame, kind="stable")
    g_bounds = np.searchsorted(seq.gt_frame[g_order], np.arange(seq.n_frames + 1))
    d_bounds = np.searchsorted(seq.dt_frame[d_order], np.arange(seq.n_frames + 1))
    out = []
    for f in range(seq.n_frames):
        gi = g_order[g_bounds[f]:g_bounds[f + 1]]
        di = d_order[d_bounds[f]:d_bounds[f + 1]]
        out.append((g_inv[gi], d_inv[di], _similarity(seq.dt_xy[di], seq.gt_xy[gi], kind,
                                                      scale)))
    return out, len(g_ids), len(d_ids)


def _hota(frames, n_gt_ids: int, n_dt_ids: int) -> dict[str, np.ndarray]:
    a = len(HOTA_ALPHAS)
    tp, fn, fp, loc = np.zeros(a), np.zeros(a), np.zeros(a), np.zeros(a)
    gt_count, dt_count = np.zeros(n_gt_ids), np.zeros(n_dt_ids)
    potential = np.zeros((n_gt_ids, n_dt_ids))
    for g, d, sim in frames:  # pass 1: how often each pair could be matched
        gt_count[g] += 1
        dt_count[d] += 1
        if len(g) and len(d):
            denom = sim.sum(0, keepdims=True) + sim.sum(1, keepdims=True) - sim
            with np.errstate(divide="ignore", invalid="ignore"):
                potential[np.ix_(g, d)] += np.where(denom > _EPS, sim / denom, 0.0)
    alignment = potential / np.maximum(gt_count[:, None] + dt_count[None, :] - potential,
                                       _EPS)
    matches = np.zeros((a, n_gt_ids, n_dt_ids))
    for g, d, sim in frames:  # pass 2: the matching, per α
        if not len(g) or not len(d):
            fn += len(g)
            fp += len(d)
            continue
        rows, cols = linear_sum_assignment(-(alignment[np.ix_(g, d)] * sim))
        s = sim[rows, cols]
        ok = s[None, :] >= HOTA_ALPHAS[:, None] - _EPS  # (A, K)
        n_ok = ok.sum(1)
        tp += n_ok
        fn += len(g) - n_ok
        fp += len(d) - n_ok
        loc += (ok * s[None, :]).sum(1)
        for ai in np.flatnonzero(n_ok):
            matches[ai, g[rows[ok[ai]]], d[cols[ok[ai]]]] += 1
    ass = matches / np.maximum(gt_count[None, :, None] + dt_count[None, None, :] - matches,
                               _EPS)
    ass_sum = (matches * ass).sum((1, 2))
    return {"TP": tp, "FN": fn, "FP": fp, "LocA_sum": loc, "AssA_sum": ass_sum}


def _clear_identity(frames, n_gt_ids: int, n_dt_ids: int) -> dict[str, float]:
    tp = fn = fp = idsw = 0
    motp = 0.0
    last_match = np.full(n_gt_ids, -1)  # for ID switches: last tracker ever matched
    prev_step = np.full(n_gt_ids, -1)  # matched at the previous frame (kept if possible)
    matched_runs = np.zeros(n_gt_ids, np.int64)
    matched_prev = np.zeros(n_gt_ids, bool)
    matched_ever = np.zeros(n_gt_ids, bool)
    gt_count, dt_count = np.zeros(n_gt_ids), np.zeros(n_dt_ids)
    potential = np.zeros((n_gt_ids, n_dt_ids))
    for g, d, sim in frames:
        gt_count[g] += 1
        dt_count[d] += 1
        now = np.zeros(n_gt_ids, bool)
        if len(g) and len(d):
            ok = sim >= _CLEAR_THRESHOLD - _EPS
            rows_ok, cols_ok = np.nonzero(ok)
            potential[g[rows_ok], d[cols_ok]] += 1
            score = np.where(ok, sim + 1000.0 * (prev_step[g][:, None] == d[None, :]), 0.0)
            rows, cols = linear_sum_assignment(-score)
            keep = score[rows, cols] > _EPS
            rows, cols = rows[keep], cols[keep]
            mg, md = g[rows], d[cols]
            idsw += int(((last_match[mg] >= 0) & (last_match[mg] != md)).sum())
            last_match[mg] = md
            motp += float(sim[rows, cols].sum())
            now[mg] = True
            n = len(rows)
        else:
            # TrackEval skips a frame without ground truth or without predictions
            # entirely: what was tracked at the previous step stays "previous" (for the
            # continuation bonus and for Frag) across it.
            fn, fp = fn + len(g), fp + len(d)
            continue
        prev_step[:] = -1
        prev_step[mg] = md
        matched_runs += now & ~matched_prev
        matched_prev = now
        matched_ever |= now
        tp, fn, fp = tp + n, fn + len(g) - n, fp + len(d) - n
    frag = int(matched_runs.sum() - matched_ever.sum())
    rows, cols = linear_sum_assignment(-potential) if potential.size else ([], [])
    idtp = float(potential[rows, cols].sum()) if len(rows) else 0.0
    return {"CLR_TP": tp, "CLR_FN": fn, "CLR_FP": fp, "IDSW": idsw, "MOTP_sum": motp,
            "Frag": frag, "IDTP": idtp, "IDFN": gt_count.sum() - idtp,
            "IDFP": dt_count.sum() - idtp}


def sequence_counts(seq: TrackSequence, similarity: Similarity = "gaussian",
                    sigma: float = 20.0) -> dict[str, Any]:
    """The additive counts of one video (what :func:`tracking_metrics` sums)."""
    frames, n_g, n_d = _frames(seq, similarity, sigma)
    return {**_hota(frames, n_g, n_d), **_clear_identity(frames, n_g, n_d)}


def tracking_metrics(sequences: Sequence[TrackSequence], *, similarity: Similarity = "gaussian",
                     sigma: float = 20.0) -> TrackingResult:
    """HOTA, CLEAR and identity metrics over ``sequences`` (one per video).

    Args:
        sequences: The videos.
        similarity: ``"gaussian"`` (``exp(-d²/(2σ²))``) or ``"euclidean"``
            (``max(0, 1 - d/σ)``: ``sigma`` is then TrackEval's ``d0``).
        sigma: Scale in pixels.

    Example:
        >>> f = np.arange(3)
        >>> xy = np.array([[10.0, 10], [12, 10], [14, 10]])
        >>> seq = TrackSequence(3, f, np.zeros(3, int), xy, f, np.full(3, 7), xy + 1)
        >>> r = tracking_metrics([seq])
        >>> round(r.MOTA, 3), round(r.IDF1, 3), r.IDSW
        (1.0, 1.0, 0)
    """
    if similarity not in ("gaussian", "euclidean"):
        raise ValueError(f"expected similarity gaussian or euclidean, got {similarity!r}")
    parts = [sequence_counts(s, similarity, sigma) for s in sequences]
    total = {k: sum(p[k] for p in parts) for k in parts[0]} if parts else None
    if total is None:
        raise ValueError("expected at least one sequence")
    tp, fn, fp = total["TP"], total["FN"], total["FP"]
    det_a = tp / np.maximum(1.0, tp + fn + fp)
    ass_a = total["AssA_sum"] / np.maximum(1.0, tp)
    loc_a = np.maximum(1e-10, total["LocA_sum"]) / np.maximum(1e-10, tp)
    hota = np.sqrt(det_a * ass_a)
    ctp, cfn, cfp = total["CLR_TP"], total["CLR_FN"], total["CLR_FP"]
    idtp, idfn, idfp = total["IDTP"], total["IDFN"], total["IDFP"]
    return TrackingResult(
        HOTA=float(hota.mean()), DetA=float(det_a.mean()), AssA=float(ass_a.mean()),
        LocA=float(loc_a.mean()),
        MOTA=float((ctp - cfp - total["IDSW"]) / max(1.0, ctp + cfn)),
        MOTP=float(total["MOTP_sum"] / max(1.0, ctp)), IDSW=int(total["IDSW"]),
        Frag=int(total["Frag"]),
        IDF1=float(idtp / max(1.0, idtp + 0.5 * idfp + 0.5 * idfn)),
        IDP=float(idtp / max(1.0, idtp + idfp)), IDR=float(idtp / max(1.0, idtp + idfn)),
        similarity=similarity, sigma=float(sigma))
