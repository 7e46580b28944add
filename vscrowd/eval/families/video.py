"""Per-video scores: frames, counts, count MAE and mAP/mAR at each σ, one row a video."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from ..ap import interpolated_precision
from ..text import render, table_rows
from .base import Context, MetricFamily

__all__ = ["FAMILY", "per_video_table"]


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


def compute(ctx: Context) -> pd.DataFrame:
    out = per_video_table(ctx.video_of_frame, ctx.gt.frame_index, ctx.al, ctx.matches,
                          ctx.gt_counts, ctx.pred_counts)
    ctx.step("per-video")
    return out


FAMILY = MetricFamily(
    name="video", summary="one row per video: counts, count MAE, mAP/mAR at each σ",
    compute=compute, options=("sigmas", "count_threshold"),
    to_dict=lambda t: {"per_video": json.loads(t.to_json(orient="records"))},
    lines=lambda t, fmt: ["", "per video", *render(table_rows(t), fmt)])
