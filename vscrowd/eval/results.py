"""Result types of the evaluator: named fields, ``to_dict()``, ``to_pandas()``, ``str()``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = ["BoxThresholdResult", "CountingResult", "DistanceAPResult", "EvaluationResult",
           "IdreesResult",
           "LocalizationResult", "SizeRecallResult"]

TableFormat = Literal["table", "markdown", "csv"]


def _f(v: float | None) -> float | None:
    return None if v is None or (isinstance(v, float) and np.isnan(v)) else float(v)


@dataclass(frozen=True)
class LocalizationResult:
    """σ-thresholded AP/AR at one σ.

    Attributes:
        sigma: Positive range σ in pixels.
        thresholds: ``(10,)`` similarity thresholds 0.50...0.95.
        precision: ``(10, 101)`` interpolated precision at recall 0:0.01:1, or None
            when the split has no ground-truth heads (AP undefined).
        recall: ``(10,)`` final recall per threshold, or None when undefined.
    """

    sigma: float
    thresholds: np.ndarray
    precision: np.ndarray | None
    recall: np.ndarray | None

    @property
    def ap(self) -> np.ndarray | None:
        """``(10,)`` AP per threshold (mean interpolated precision)."""
        return None if self.precision is None else self.precision.mean(axis=1)

    @property
    def ap50(self) -> float | None:
        return None if self.ap is None else float(self.ap[0])

    @property
    def ap75(self) -> float | None:
        return None if self.ap is None else float(self.ap[5])

    @property
    def map(self) -> float | None:
        """Mean AP over the 10 thresholds."""
        return None if self.precision is None else float(self.precision.mean())

    @property
    def ar50(self) -> float | None:
        return None if self.recall is None else float(self.recall[0])

    @property
    def ar75(self) -> float | None:
        return None if self.recall is None else float(self.recall[5])

    @property
    def mar(self) -> float | None:
        """Mean final recall over the 10 thresholds."""
        return None if self.recall is None else float(self.recall.mean())

    def to_dict(self) -> dict[str, Any]:
        """The ``localization`` entry of the JSON output."""
        return {
            "sigma": self.sigma if not float(self.sigma).is_integer() else int(self.sigma),
            "AP.50": self.ap50, "AP.75": self.ap75, "mAP": self.map,
            "AR.50": self.ar50, "AR.75": self.ar75, "mAR": self.mar,
            "AP": None if self.ap is None else [float(v) for v in self.ap],
            "AR": None if self.recall is None else [float(v) for v in self.recall],
        }


@dataclass(frozen=True)
class CountingResult:
    """Counting errors over frames (count = points with score >= threshold)."""

    mae: float | None
    rmse: float | None
    nae: float | None
    frames: int
    threshold: float

    def to_dict(self) -> dict[str, Any]:
        return {"MAE": self.mae, "RMSE": self.rmse, "NAE": self.nae, "frames": self.frames,
                "count_threshold": self.threshold}


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


@dataclass(frozen=True)
class DistanceAPResult:
    """AP at fixed pixel radii (the DroneCrowd L-mAP family)."""

    radii: np.ndarray
    ap: np.ndarray | None

    @property
    def l_map(self) -> float | None:
        return None if self.ap is None else float(self.ap.mean())

    def to_dict(self) -> dict[str, Any]:
        return {"radii": [float(r) for r in self.radii], "L-mAP": self.l_map,
                "AP": None if self.ap is None else [float(v) for v in self.ap]}


@dataclass(frozen=True)
class IdreesResult:
    """Precision / recall / AUC over 1...100 px thresholds (the paper's Table IX)."""

    thresholds: np.ndarray
    precision_curve: np.ndarray
    recall_curve: np.ndarray

    @property
    def precision(self) -> float | None:
        return _mean_or_none(self.precision_curve)

    @property
    def recall(self) -> float | None:
        return _mean_or_none(self.recall_curve)

    @property
    def auc(self) -> float | None:
        from .idrees import pr_auc

        if np.isnan(self.precision_curve).any() or np.isnan(self.recall_curve).any():
            return None
        return pr_auc(self.precision_curve, self.recall_curve)

    def to_dict(self) -> dict[str, Any]:
        return {"thresholds": [float(t) for t in self.thresholds],
                "precision": self.precision, "recall": self.recall, "AUC": self.auc}


def _mean_or_none(v: np.ndarray) -> float | None:
    return None if np.isnan(v).any() else float(v.mean())


@dataclass(frozen=True)
class SizeRecallResult:
    """Recall per head-size bucket at one σ (size = sqrt of the GT box area)."""

    sigma: float
    table: pd.DataFrame  # bucket, lo, hi, gt_points, AR.50, AR.75, mAR

    def to_dict(self) -> dict[str, Any]:
        return {"sigma": self.sigma,
                "buckets": json.loads(self.table.to_json(orient="records"))}


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

    def format(self, fmt: TableFormat = "table") -> str:
        """Render the summary as an aligned text table, Markdown or CSV."""
        loc = self.to_pandas()
        if fmt == "csv":
            text = loc.to_csv()
            if self.counting is not None:
                c = self.counting
                text += f"\nMAE,RMSE,NAE,frames\n{_csv(c.mae)},{_csv(c.rmse)},{_csv(c.nae)}," \
                        f"{c.frames}\n"
            return text
        if fmt not in ("table", "markdown"):
            raise ValueError(f"expected format table, markdown or csv, got {fmt!r}")
        lines = []
        if self.localization:
            header = ["σ", "AP.50", "AP.75", "mAP", "AR.50", "AR.75", "mAR"]
            body = [[str(s)] + [_pct(v) for v in row] for s, row in
                    zip(loc.index, loc.to_numpy(dtype=object))]
            lines += _render([header, *body], fmt)
        if self.counting is not None:
            c = self.counting
            lines.append("")
            lines += _render([["MAE", "RMSE", "NAE", "frames"],
                              [_num(c.mae), _num(c.rmse), _num(c.nae), str(c.frames)]], fmt)
            lines.append(f"(counts: points with score >= {c.threshold}; RMSE is the root "
                         "mean squared error that papers label 'MSE')")
        for b in self.box_threshold:
            lines.append(f"box-threshold {b.radius}: P {_pct(b.precision)}  "
                         f"R {_pct(b.recall)}  F1 {_pct(b.f1)}")
        if self.distance_ap is not None:
            lines.append(f"distance AP (radii {self.distance_ap.radii[0]:g}..."
                         f"{self.distance_ap.radii[-1]:g} px): L-mAP "
                         f"{_pct(self.distance_ap.l_map)}")
        if self.idrees is not None:
            i = self.idrees
            lines.append(f"Idrees et al. P/R/AUC ({i.thresholds[0]:g}...{i.thresholds[-1]:g} px): "
                         f"precision {_num(i.precision)}  recall {_num(i.recall)}  "
                         f"AUC {_num(i.auc)}")
        lines += format_tracking(self.tracking, self.video_counting, fmt)
        for s in self.size_recall:
            lines.append("")
            lines.append(f"recall by head size at σ={s.sigma:g} (size = sqrt(box area), px)")
            t = s.table
            rows = [["bucket", "range", "GT", "AR.50", "mAR"]] + [
                [r.bucket, f"[{r.lo:g}, {r.hi:g})", str(r.gt_points), _pct(r["AR.50"]),
                 _pct(r["mAR"])] for _, r in t.iterrows()]
            lines += _render(rows, fmt)
        if self.per_video is not None:
            lines.append("")
            lines.append("per video")
            lines += _render(_table_rows(self.per_video), fmt)
        if self.bootstrap is not None:
            lines.append("")
            lines.append("bootstrap over videos (95% percentile interval)")
            rows = [["σ", "metric", "estimate", "low", "high"]] + [
                [f"{r.sigma:g}", r.metric, _pct(r.estimate), _pct(r.low), _pct(r.high)]
                for _, r in self.bootstrap.iterrows()]
            lines += _render(rows, fmt)
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
        from ..plots import plot_pr_curves

        return plot_pr_curves(self, out_dir, fmt=fmt)


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


