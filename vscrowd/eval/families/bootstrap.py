"""Bootstrap intervals over videos: 95 % percentile intervals of mAP and mAR at each σ
from resampling whole videos (``--bootstrap N``: N resamples)."""

from __future__ import annotations

import json
from collections.abc import Callable

import numpy as np
import pandas as pd

from ..ap import interpolated_precision
from ..text import pct, render
from .base import Context, MetricFamily

__all__ = ["FAMILY", "bootstrap_over_videos"]


def bootstrap_over_videos(video_of_frame, gt_frame, al, matches, localization, n: int,
                          seed: int, stop: Callable[[], bool] | None = None
                          ) -> pd.DataFrame:
    """95% percentile intervals of mAP and mAR from resampling whole videos.

    A resample draws videos with replacement; a video drawn k times contributes its
    predictions and heads with weight k (its copies sit next to each other in the
    pooled ranking), which avoids materialising the copies. ``stop() -> True`` (checked
    before each resample): the evaluation was abandoned, give up (an empty table).
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
            if stop is not None and stop():
                return pd.DataFrame()
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


def compute(ctx: Context) -> pd.DataFrame:
    o = ctx.options
    out = bootstrap_over_videos(ctx.video_of_frame, ctx.gt.frame_index, ctx.al, ctx.matches,
                                ctx.result("sigma"), o.bootstrap, o.seed,
                                stop=ctx.cancelled.is_set)
    ctx.step("bootstrap")
    return out


def _lines(table: pd.DataFrame, fmt: str) -> list[str]:
    rows = [["σ", "metric", "estimate", "low", "high"]] + [
        [f"{r.sigma:g}", r.metric, pct(r.estimate), pct(r.low), pct(r.high)]
        for _, r in table.iterrows()]
    return ["", "bootstrap over videos (95% percentile interval)", *render(rows, fmt)]


FAMILY = MetricFamily(
    name="bootstrap", summary="95 % intervals of mAP/mAR from resampling whole videos",
    compute=compute, options=("bootstrap", "seed", "sigmas"),
    selected=lambda o: o.bootstrap > 0,
    to_dict=lambda t: {"bootstrap": json.loads(t.to_json(orient="records"))}, lines=_lines)
