"""Breakdowns: recall by head size, per-video scores and bootstrap intervals."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .ap import interpolated_precision
from .family_results import SizeRecallResult

__all__ = ["bootstrap_over_videos", "per_video_table", "size_recall"]


def size_recall(boxes: np.ndarray, gt_matched: np.ndarray, sigma: float,
                edges: Sequence[float]) -> SizeRecallResult:
    """Recall per head-size bucket; size = sqrt(box area) of the GT head-shoulder box.

    A point prediction has no size, so per-bucket precision is not defined; buckets
    report recall of the GT heads that fall in them, from the one global matching.
    """
    size = np.sqrt(np.clip(boxes[:, 2] - boxes[:, 0], 0, None)
                   * np.clip(boxes[:, 3] - boxes[:, 1], 0, None))
    cuts = [0.0, *[float(e) for e in edges], np.inf]
    names = ["small", "medium", "large"] if len(cuts) == 4 else [
        f"b{i}" for i in range(len(cuts) - 1)]
    rows = []
    for name, lo, hi in zip(names, cuts[:-1], cuts[1:]):
        sel = (size >= lo) & (size < hi)
        n = int(sel.sum())
        rec = gt_matched[:, sel].mean(axis=1) if n else None
        rows.append({"bucket": name, "lo": lo, "hi": hi, "gt_points": n,
                     "AR.50": None if rec is None else float(rec[0]),
                     "AR.75": None if rec is None else float(rec[5]),
                     "mAR": None if rec is None else float(rec.mean())})
    return SizeRecallResult(sigma, pd.DataFrame(rows))


def per_video_table(video_of_frame, gt_frame, al, matches, gt_counts, pred_counts
                    ) -> pd.DataFrame:
    """One row per video: frames, counts, MAE and mAP/mAR at each σ."""
    codes, names = video_of_frame
    gt_video = codes[gt_frame]
    dt_video_sorted = codes[al.dt_frame][al.order]
    rows = []
    for v, name in enumerate(names):
        fsel = codes == v
        n_gt = int((gt_video == v).sum())
        sub = al.order[dt_video_sorted == v]
        row = {"video": name, "frames": int(fsel.sum()), "gt_points": n_gt,
               "pred_points": int(len(sub)),
               "MAE": float(np.abs(pred_counts[fsel] - gt_counts[fsel]).mean())}
        for s, (dt_matched, _) in matches.items():
            if n_gt:
                prec, rec = interpolated_precision(dt_matched[:, sub], n_gt)
                row[f"mAP@{s:g}"], row[f"mAR@{s:g}"] = float(prec.mean()), float(rec.mean())
            else:
                row[f"mAP@{s:g}"] = row[f"mAR@{s:g}"] = None
        rows.append(row)
    return pd.DataFrame(rows)


def bootstrap_over_videos(video_of_frame, gt_frame, al, matches, localization, n: int,
                          seed: int) -> pd.DataFrame:
    """95% percentile intervals of mAP and mAR from resampling whole videos.

    A resample draws videos with replacement; a video drawn k times contributes its
    predictions and heads with weight k (its copies sit next to each other in the
    pooled ranking), which avoids materialising the copies.
    """
    codes, names = video_of_frame
    n_videos = len(names)
    gt_per_video = np.bincount(codes[gt_frame], minlength=n_videos).astype(float)
    dt_video_sorted = codes[al.dt_frame][al.order]
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(n_videos, np.full(n_videos, 1.0 / n_videos), size=n)
    rows = []
    for res in localization:
        dt_matched, _ = matches[res.sigma]
        matched = np.take(dt_matched, al.order, axis=1)
        maps, mars = [], []
        for w in weights:
            n_gt = float(w @ gt_per_video)
            if n_gt == 0:
                continue
            prec, rec = interpolated_precision(matched, n_gt, w[dt_video_sorted].astype(float))
            maps.append(prec.mean())
            mars.append(rec.mean())
        for metric, est, vals in (("mAP", res.map, maps), ("mAR", res.mar, mars)):
            lo, hi = (np.percentile(vals, [2.5, 97.5]) if vals else (np.nan, np.nan))
            rows.append({"sigma": res.sigma, "metric": metric, "estimate": est,
                         "low": float(lo), "high": float(hi), "resamples": len(vals)})
    return pd.DataFrame(rows)
