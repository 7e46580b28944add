"""Tracking (HOTA/MOTA/IDF1 on head points) and video individual counting, from
predictions with track IDs (the scoring itself: :mod:`vscrowd.eval.video_scores`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ...errors import PredictionFormatError
from ..text import num, pct, render
from .base import Context, MetricFamily

__all__ = ["FAMILY", "TrackScores", "format_tracking"]


@dataclass(frozen=True)
class TrackScores:
    """The track family's result.

    Attributes:
        tracking: A :class:`~vscrowd.eval.tracking.TrackingResult`.
        video_counting: Protocol name -> :class:`~vscrowd.eval.vic.VICResult`.
    """

    tracking: Any
    video_counting: dict[str, Any]


def compute(ctx: Context) -> TrackScores:
    from ..video_scores import score_tracks  # SciPy's assignment solver: loaded when asked for

    al, o = ctx.al, ctx.options
    if al.dt.track_id is None:
        raise PredictionFormatError("tracking metrics need points with track IDs "
                                    "([x, y, score, track_id])", path=ctx.source)
    out = TrackScores(*score_tracks(ctx.gt, al.dt_frame, al.dt_xy, al.dt.track_id,
                                    sigma=o.track_sigma, interval=o.vic_interval,
                                    labels=ctx.scene_labels))
    ctx.step("tracking")
    return out


def _to_dict(t: TrackScores) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if t.tracking is not None:
        out["tracking"] = t.tracking.to_dict()
    if t.video_counting is not None:
        out["video_counting"] = {k: v.to_dict() for k, v in t.video_counting.items()}
    return out


def format_tracking(tracking, video_counting, fmt: str = "table") -> list[str]:
    """The tracking and video-individual-counting tables (empty when absent)."""
    lines: list[str] = []
    if tracking is not None:
        t = tracking
        lines += ["", f"tracking (point similarity {t.similarity}, σ = {t.sigma:g} px)"]
        lines += render([["HOTA", "DetA", "AssA", "LocA", "MOTA", "MOTP", "IDSW", "Frag",
                          "IDF1", "IDP", "IDR"],
                         [pct(t.HOTA), pct(t.DetA), pct(t.AssA), pct(t.LocA),
                          pct(t.MOTA), pct(t.MOTP), str(t.IDSW), str(t.Frag), pct(t.IDF1),
                          pct(t.IDP), pct(t.IDR)]], fmt)
    if video_counting:
        lines += _vic_lines(video_counting, fmt)
    return lines


def _vic_lines(video_counting: dict[str, Any], fmt: str) -> list[str]:
    lines = ["", "video individual counting (RMSE is the column papers print as 'MSE'; "
                 "WRAE in %)"]
    rows = [["protocol", "MAE", "RMSE", "WRAE", "MIAE", "MOAE"]]
    for name, v in video_counting.items():
        label = name + (f" (k={v.interval})" if name == "drnet" else "")
        rows.append([label, num(v.MAE), num(v.RMSE), pct(v.WRAE), num(v.MIAE), num(v.MOAE)])
    lines += render(rows, fmt)
    for name, v in video_counting.items():
        if v.breakdowns:  # DRNet's groups (scene labels known)
            lines += ["", f"video individual counting by group, protocol {name}"]
            lines += render([["group", "videos", "MAE", "RMSE", "WRAE", "MIAE", "MOAE"]]
                            + [[g, str(m["videos"]), num(m["MAE"]), num(m["RMSE"]),
                                pct(m["WRAE"]), num(m["MIAE"]), num(m["MOAE"])]
                               for g, m in v.breakdowns.items()], fmt)
    missing = next(iter(video_counting.values())).missing
    if missing:
        lines.append(f"note: {len(missing)} video(s) have no prediction and count as 0: "
                     + ", ".join(missing[:5]))
    return lines


FAMILY = MetricFamily(
    name="track", summary="tracking (HOTA/MOTA/IDF1) and video individual counting; needs "
                          "track IDs",
    compute=compute, to_dict=_to_dict, options=("track_sigma", "vic_interval"),
    lines=lambda t, fmt: format_tracking(t.tracking, t.video_counting, fmt))
