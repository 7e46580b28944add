"""Per-frame numbers behind the report page: counts and TP/FP/missed per frame, and the
per-video, per-scene and per-density tables built from them.

TP/FP/missed use the evaluator's matching (σ, similarity threshold t = 0.5) on the
points that score at least the counting threshold, i.e. the points a user would keep
(the overlays of ``vscrowd show`` colour the same matching).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import PredictionFormatError
from ..eval.groundtruth import GroundTruth
from ..eval.localization import sigma_matches
from ..eval.matching import rank_in_frame
from ..eval.predictions import Predictions

__all__ = ["DENSITY_EDGES", "FrameStats", "frame_stats"]

#: GT heads per frame: the bucket edges of the per-density table.
DENSITY_EDGES = (10, 25, 50, 100, 200)


@dataclass(frozen=True)
class FrameStats:
    """One row per ground-truth frame: ``video``, ``frame``, ``gt``, ``pred`` (points
    scoring >= ``threshold``), ``tp``, ``fp``, ``missed`` at ``sigma``."""

    table: pd.DataFrame
    sigma: float
    threshold: float

    def per_video(self) -> pd.DataFrame:
        return _summary(self.table.groupby("video", sort=False))

    def per_density(self) -> pd.DataFrame:
        cuts = [0, *DENSITY_EDGES, np.inf]
        labels = [f"{a}-{b - 1}" for a, b in zip(cuts[:-2], cuts[1:-1])] + [f">={cuts[-2]}"]
        bucket = pd.cut(self.table["gt"], cuts, right=False, labels=labels).rename("GT heads")
        return _summary(self.table.groupby(bucket, observed=True, sort=True))

    def per_scene(self, labels: Mapping[str, Sequence[int] | None]) -> pd.DataFrame:
        """Rows per scene label (a video with several labels counts in each)."""
        rows = []
        for video, labs in labels.items():
            for lab in labs or ():
                rows.append((video, str(lab)))
        if not rows:
            return pd.DataFrame()
        pairs = pd.DataFrame(rows, columns=["video", "scene"])
        # Keep the frame table's index: worst_frame names rows of self.table.
        joined = self.table.reset_index().merge(pairs, on="video").set_index("index")
        return _summary(joined.groupby("scene", sort=True))

    def worst(self, column: str, k: int) -> pd.DataFrame:
        """The ``k`` frames with the largest ``column`` (ties: earlier frames first)."""
        t = self.table[self.table[column] > 0]
        return t.sort_values(column, ascending=False, kind="stable").head(k)


def _summary(groups) -> pd.DataFrame:
    agg = groups.agg(frames=("gt", "size"), gt=("gt", "sum"), pred=("pred", "sum"),
                     tp=("tp", "sum"), fp=("fp", "sum"), missed=("missed", "sum"),
                     MAE=("abs_err", "mean"), worst_frame=("abs_err", "idxmax"))
    agg["precision"] = agg["tp"] / agg["pred"].where(agg["pred"] > 0)
    agg["recall"] = agg["tp"] / agg["gt"].where(agg["gt"] > 0)
    agg["GT heads"] = agg.index.astype(str) if agg.index.name == "GT heads" else None
    return agg.drop(columns="GT heads").reset_index()


def frame_stats(gt: GroundTruth, preds: Predictions, *, sigma: float = 20.0,
                threshold: float = 0.5) -> FrameStats:
    """Per-frame counts and TP/FP/missed of ``preds`` on ``gt``'s frames (frames the
    predictions do not list count as empty; predicted frames unknown to ``gt`` are
    ignored)."""
    if len(preds.frames) == 0:
        raise PredictionFormatError("the predictions list no frame", path=preds.source)
    row = gt.resolver().rows(preds.frames["video"], preds.frames["frame"])
    keep = (preds.score >= threshold) & (row[preds.frame_index] >= 0)
    dt_frame = row[preds.frame_index][keep]
    order = np.argsort(dt_frame, kind="stable")
    dt_frame, dt_xy = dt_frame[order], preds.xy[keep][order]
    dt_score = preds.score[keep][order]
    n = len(gt.frames)
    dt_gt, gt_matched = sigma_matches(dt_frame, dt_xy, rank_in_frame(dt_frame, dt_score),
                                      gt.frame_index, gt.xy, sigma, np.array([0.5]))
    g = np.bincount(gt.frame_index, minlength=n)
    p = np.bincount(dt_frame, minlength=n)
    tp = np.bincount(dt_frame[dt_gt[0] >= 0], minlength=n)
    table = pd.DataFrame({"video": gt.frames["video"].to_numpy(object),
                          "frame": gt.frames["frame"].to_numpy(object), "gt": g, "pred": p,
                          "tp": tp, "fp": p - tp, "missed": g - tp,
                          "abs_err": np.abs(p - g).astype(float)})
    return FrameStats(table, float(sigma), float(threshold))
