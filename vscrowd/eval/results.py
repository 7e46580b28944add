"""``EvaluationResult``: everything ``evaluate`` computed, with ``to_dict()``,
``to_pandas()``, ``str()`` and ``plot()`` (the per-family results: ``family_results.py``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from ..errors import ConfigError
from .family_results import (
    BoxThresholdResult,
    CountingResult,
    DistanceAPResult,
    IdreesResult,
    LocalizationResult,
    SizeRecallResult,
)
from .vic_groups import format_drnet

__all__ = ["EvaluationResult", "format_tracking"]

TableFormat = Literal["table", "markdown", "csv"]


@dataclass(frozen=True)
class EvaluationResult:
    """Everything ``evaluate`` computed; see docs/metrics.md for definitions."""

    localization: tuple[LocalizationResult, ...]
    counting: CountingResult | None
    frames: int
    gt_points: int
    pred_points: int
    box_threshold: tuple[BoxThresholdResult, ...] = ()
    distance_ap: DistanceAPResult | None = None
    idrees: IdreesResult | None = None
    tracking: Any = None  # tracking.TrackingResult
    video_counting: dict[str, Any] | None = None  # protocol -> vic.VICResult
    size_recall: tuple[SizeRecallResult, ...] = ()
    per_video: pd.DataFrame | None = None
    bootstrap: pd.DataFrame | None = None
    notes: dict[str, Any] = field(default_factory=dict)

    def sigma(self, sigma: float) -> LocalizationResult:
        """The localization result at ``sigma``."""
        for r in self.localization:
            if r.sigma == sigma:
                return r
        raise KeyError(f"expected sigma in {[r.sigma for r in self.localization]}, "
                       f"got {sigma}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; the keys listed in docs/metrics.md are a stable contract."""
        out: dict[str, Any] = {}
        if self.localization:  # families that were not computed are absent, not empty
            out["localization"] = [r.to_dict() for r in self.localization]
        if self.counting is not None:
            out["counting"] = self.counting.to_dict()
        out.update(frames=self.frames, gt_points=self.gt_points, pred_points=self.pred_points)
        if self.box_threshold:
            out["box_threshold"] = [r.to_dict() for r in self.box_threshold]
        if self.distance_ap is not None:
            out["distance_ap"] = self.distance_ap.to_dict()
        if self.idrees is not None:
            out["idrees"] = self.idrees.to_dict()
        if self.tracking is not None:
            out["tracking"] = self.tracking.to_dict()
        if self.video_counting is not None:
            out["video_counting"] = {k: v.to_dict() for k, v in self.video_counting.items()}
        if self.size_recall:
            out["size_recall"] = [r.to_dict() for r in self.size_recall]
        if self.per_video is not None:
            out["per_video"] = json.loads(self.per_video.to_json(orient="records"))
        if self.bootstrap is not None:
            out["bootstrap"] = json.loads(self.bootstrap.to_json(orient="records"))
        if self.notes:
            out["notes"] = self.notes
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_pandas(self) -> pd.DataFrame:
        """The paper-shaped table: rows σ; AP.50 AP.75 mAP AR.50 AR.75 mAR."""
        rows = [{k: v for k, v in r.to_dict().items() if k not in ("AP", "AR")}
                for r in self.localization]
        return pd.DataFrame(rows).set_index("sigma") if rows else pd.DataFrame()

    def format(self, fmt: TableFormat = "table", layout: str = "vscrowd") -> str:
        """Render the summary as an aligned text table, Markdown or CSV; ``layout="drnet"``:
        only the video-counting groups of the ``drnet`` protocol, as DRNet prints them."""
        if layout == "drnet":
            v = (self.video_counting or {}).get("drnet")
            if v is None:
                raise ConfigError("the drnet layout needs video-counting results: "
                                  "predictions with track IDs, or a results file")
            return format_drnet(v.groups())
        if fmt == "csv":
            return _csv_summary(self.to_pandas(), self.counting)
        if fmt not in ("table", "markdown"):
            raise ValueError(f"expected format table, markdown or csv, got {fmt!r}")
        lines = _headline_lines(self.to_pandas(), self.counting, fmt)
        lines += _family_lines(self.box_threshold, self.distance_ap, self.idrees)
        lines += format_tracking(self.tracking, self.video_counting, fmt)
        lines += _breakdown_lines(self.size_recall, self.per_video, self.bootstrap, fmt)
        lines.append("")
        lines.append(f"frames {self.frames}, GT points {self.gt_points}, "
                     f"predicted points {self.pred_points}")
        if self.notes.get("missing_frames"):
            lines.append(f"note: {self.notes['missing_frames']} frame(s) had no prediction "
                         "record and counted as empty")
        if self.notes.get("points_outside_image"):
            lines.append(f"note: {self.notes['points_outside_image']} predicted point(s) lie "
                         "outside their image (kept)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format("table")

    def plot(self, out_dir: str | Path, fmt: str = "png") -> list[Path]:
        """Write one precision-recall figure per σ into ``out_dir``."""
        from .pr_curves import plot_pr_curves

        return plot_pr_curves(self.localization, out_dir, fmt=fmt)


def format_tracking(tracking, video_counting, fmt: str = "table") -> list[str]:
    """The tracking and video-individual-counting tables (empty when absent)."""
    lines: list[str] = []
    if tracking is not None:
        t = tracking
        lines += ["", f"tracking (point similarity {t.similarity}, σ = {t.sigma:g} px)"]
        lines += _render([["HOTA", "DetA", "AssA", "LocA", "MOTA", "MOTP", "IDSW", "Frag",
                           "IDF1", "IDP", "IDR"],
                          [_pct(t.HOTA), _pct(t.DetA), _pct(t.AssA), _pct(t.LocA),
                           _pct(t.MOTA), _pct(t.MOTP), str(t.IDSW), str(t.Frag), _pct(t.IDF1),
                           _pct(t.IDP), _pct(t.IDR)]], fmt)
    if video_counting:
        lines += ["", "video individual counting (RMSE is the column papers print as 'MSE'; "
                      "WRAE in %)"]
        rows = [["protocol", "MAE", "RMSE", "WRAE", "MIAE", "MOAE"]]
        for name, v in video_counting.items():
            label = name + (f" (k={v.interval})" if name == "drnet" else "")
            rows.append([label, _num(v.MAE), _num(v.RMSE), _pct(v.WRAE), _num(v.MIAE),
                         _num(v.MOAE)])
        lines += _render(rows, fmt)
        for name, v in video_counting.items():
            if v.breakdowns:  # DRNet's groups (scene labels known)
                lines += ["", f"video individual counting by group, protocol {name}"]
                lines += _render([["group", "videos", "MAE", "RMSE", "WRAE", "MIAE", "MOAE"]]
                                 + [[g, str(m["videos"]), _num(m["MAE"]), _num(m["RMSE"]),
                                     _pct(m["WRAE"]), _num(m["MIAE"]), _num(m["MOAE"])]
                                    for g, m in v.breakdowns.items()], fmt)
        missing = next(iter(video_counting.values())).missing
        if missing:
            lines.append(f"note: {len(missing)} video(s) have no prediction and count as 0: "
                         + ", ".join(missing[:5]))
    return lines


def _table_rows(df: pd.DataFrame) -> list[list[str]]:
    """A DataFrame as text rows: ratios as percentages, other numbers compactly."""
    def cell(col: str, v) -> str:
        if isinstance(v, (float, np.floating)):
            return _pct(v) if col.startswith(("AP", "AR", "mAP", "mAR")) else _num(v)
        return str(v)

    return [list(map(str, df.columns))] + [[cell(c, v) for c, v in zip(df.columns, row)]
                                           for row in df.itertuples(index=False)]


def _pct(v) -> str:
    return "n/a" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{100 * v:.2f}"


def _num(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def _csv(v) -> str:
    return "" if v is None else repr(v)


def _render(rows: list[list[str]], fmt: str) -> list[str]:
    if fmt == "markdown":
        out = ["| " + " | ".join(rows[0]) + " |", "|" + "|".join("---" for _ in rows[0]) + "|"]
        return out + ["| " + " | ".join(r) + " |" for r in rows[1:]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]


def _csv_summary(loc: pd.DataFrame, counting: CountingResult | None) -> str:
    text = loc.to_csv()
    if counting is not None:
        c = counting
        text += f"\nMAE,RMSE,NAE,frames\n{_csv(c.mae)},{_csv(c.rmse)},{_csv(c.nae)},{c.frames}\n"
    return text


def _headline_lines(loc: pd.DataFrame, counting: CountingResult | None, fmt: str) -> list[str]:
    """The σ table and the counting errors."""
    lines: list[str] = []
    if len(loc):
        header = ["σ", "AP.50", "AP.75", "mAP", "AR.50", "AR.75", "mAR"]
        body = [[str(s)] + [_pct(v) for v in row] for s, row in
                zip(loc.index, loc.to_numpy(dtype=object))]
        lines += _render([header, *body], fmt)
    if counting is not None:
        c = counting
        lines.append("")
        lines += _render([["MAE", "RMSE", "NAE", "frames"],
                          [_num(c.mae), _num(c.rmse), _num(c.nae), str(c.frames)]], fmt)
        lines.append(f"(counts: points with score >= {c.threshold}; RMSE is the root "
                     "mean squared error that papers label 'MSE')")
    return lines


def _family_lines(box: tuple[BoxThresholdResult, ...], dist: DistanceAPResult | None,
                  idrees: IdreesResult | None) -> list[str]:
    lines = [f"box-threshold {b.radius}: P {_pct(b.precision)}  R {_pct(b.recall)}  "
             f"F1 {_pct(b.f1)}" for b in box]
    if dist is not None:
        lines.append(f"distance AP (radii {dist.radii[0]:g}...{dist.radii[-1]:g} px): L-mAP "
                     f"{_pct(dist.l_map)}")
    if idrees is not None:
        i = idrees
        lines.append(f"Idrees et al. P/R/AUC ({i.thresholds[0]:g}...{i.thresholds[-1]:g} px): "
                     f"precision {_num(i.precision)}  recall {_num(i.recall)}  "
                     f"AUC {_num(i.auc)}")
    return lines


def _breakdown_lines(sizes: tuple[SizeRecallResult, ...], per_video: pd.DataFrame | None,
                     bootstrap: pd.DataFrame | None, fmt: str) -> list[str]:
    lines: list[str] = []
    for s in sizes:
        lines.append("")
        lines.append(f"recall by head size at σ={s.sigma:g} (size = sqrt(box area), px)")
        rows = [["bucket", "range", "GT", "AR.50", "mAR"]] + [
            [r.bucket, f"[{r.lo:g}, {r.hi:g})", str(r.gt_points), _pct(r["AR.50"]),
             _pct(r["mAR"])] for _, r in s.table.iterrows()]
        lines += _render(rows, fmt)
    if per_video is not None:
        lines.append("")
        lines.append("per video")
        lines += _render(_table_rows(per_video), fmt)
    if bootstrap is not None:
        lines.append("")
        lines.append("bootstrap over videos (95% percentile interval)")
        rows = [["σ", "metric", "estimate", "low", "high"]] + [
            [f"{r.sigma:g}", r.metric, _pct(r.estimate), _pct(r.low), _pct(r.high)]
            for _, r in bootstrap.iterrows()]
        lines += _render(rows, fmt)
    return lines
