"""Video individual counting (VIC): how many different people passed through a video.

Two ground-truth (and prediction) protocols, named after the code that introduced them:

* ``unique`` (CGNet, OMAN): the number of distinct track IDs in the whole video;
* ``drnet`` (DRNet): frames are paired ``(i, i + k)`` with interval k (default 15); the
  count is the IDs of the first frame plus the new IDs (inflow) of the pairs
  ``i = 0, k, 2k, ...`` and of the last pair ``i = N - k - 1``.

Inflow and outflow of every pair ``(i, i + k)``, ``i = 0 ... N - k - 1``: the IDs of the
later frame not in the earlier one, and the reverse. Metrics over videos: MAE, RMSE (the
column that VIC papers print as "MSE"), WRAE (relative error weighted by frame count),
MIAE and MOAE (mean absolute inflow / outflow error over all pairs of all videos).
docs/metrics.md writes each formula and where the references differ.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .._text import read_json
from ..errors import ConfigError, PredictionFormatError

__all__ = ["COUNTS_FORMAT", "PROTOCOLS", "VICResult", "VideoCount", "read_cgnet_results",
           "read_drnet_counts", "read_video_counts", "video_count", "vic_metrics",
           "write_video_counts"]

Protocol = Literal["unique", "drnet"]
PROTOCOLS: tuple[Protocol, ...] = ("unique", "drnet")
COUNTS_FORMAT = "vscrowd-video-counts"


@dataclass(frozen=True)
class VideoCount:
    """One video's individual count and its per-pair inflow/outflow (None if unknown)."""

    count: float
    frames: int
    inflow: np.ndarray | None = None
    outflow: np.ndarray | None = None


def video_count(frame_ids: Sequence[np.ndarray], protocol: Protocol = "unique",
                interval: int = 15) -> VideoCount:
    """The count of one video from the track IDs present in each frame (in order).

    Example:
        >>> ids = [np.array([1]), np.array([1, 2]), np.array([1]), np.array([1])]
        >>> video_count(ids, "unique").count, video_count(ids, "drnet", 2).count
        (2, 1)
    """
    if interval < 1:
        raise ConfigError(f"expected a drnet interval >= 1, got {interval}")
    sets = [set(np.asarray(f).tolist()) for f in frame_ids]
    n = len(sets)
    pairs = range(max(0, n - interval))
    inflow = np.array([len(sets[i + interval] - sets[i]) for i in pairs], np.float64)
    outflow = np.array([len(sets[i] - sets[i + interval]) for i in pairs], np.float64)
    if protocol == "unique":
        count = len(set().union(*sets)) if sets else 0
    elif protocol == "drnet":
        counted = sorted({i for i in pairs if i % interval == 0} | ({len(pairs) - 1}
                                                                     if len(pairs) else set()))
        count = (len(sets[0]) if sets else 0) + int(sum(inflow[i] for i in counted))
    else:
        raise ConfigError(f"expected protocol in {list(PROTOCOLS)}, got {protocol!r}")
    return VideoCount(count, n, inflow, outflow)


@dataclass(frozen=True)
class VICResult:
    """VIC metrics of one protocol; ``per_video`` has video, frames, gt, pred, error."""

    protocol: str
    interval: int
    MAE: float
    RMSE: float
    WRAE: float  # a fraction (papers print it in percent)
    MIAE: float | None
    MOAE: float | None
    per_video: pd.DataFrame
    breakdowns: dict[str, dict[str, float]]
    missing: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"protocol": self.protocol, "interval": self.interval, "MAE": self.MAE,
                "RMSE": self.RMSE, "WRAE": self.WRAE, "MIAE": self.MIAE, "MOAE": self.MOAE,
                "breakdowns": self.breakdowns, "missing_videos": list(self.missing),
                "per_video": json.loads(self.per_video.to_json(orient="records"))}


def vic_metrics(gt: Mapping[str, VideoCount], pred: Mapping[str, VideoCount], *,
                protocol: str, interval: int = 15,
                labels: Mapping[str, Sequence[int] | None] | None = None) -> VICResult:
    """MAE, RMSE, WRAE (weighted by frame count), MIAE, MOAE over the videos of ``gt``.

    A video missing from ``pred`` counts as a prediction of 0 (an error of the full
    count) and is listed in ``missing``. ``labels`` (SenseCrowd ``scene_label.txt``)
    adds breakdowns: indoor/outdoor (label 0), day/night (label 1), density D0-D4
    (label 3), each the MAE over its videos.
    """
    videos = list(gt)
    missing = tuple(v for v in videos if v not in pred)
    g = np.array([gt[v].count for v in videos], np.float64)
    p = np.array([pred[v].count if v in pred else 0.0 for v in videos], np.float64)
    t = np.array([gt[v].frames for v in videos], np.float64)
    err = np.abs(p - g)
    with np.errstate(divide="ignore", invalid="ignore"):
        wrae = float(np.sum(np.where(g > 0, err / g, 0.0) * t / max(t.sum(), 1.0)))
    miae = moae = None
    pairs = [(gt[v], pred[v]) for v in videos if v in pred and pred[v].inflow is not None
             and len(pred[v].inflow) == len(gt[v].inflow)]
    if pairs and sum(len(a.inflow) for a, _ in pairs):
        miae = float(np.mean(np.concatenate([np.abs(b.inflow - a.inflow) for a, b in pairs])))
        moae = float(np.mean(np.concatenate([np.abs(b.outflow - a.outflow)
                                             for a, b in pairs])))
    table = pd.DataFrame({"video": videos, "frames": t.astype(int), "gt": g, "pred": p,
                          "error": p - g})
    return VICResult(protocol, interval, float(err.mean()) if len(err) else 0.0,
                     float(np.sqrt(np.mean((p - g) ** 2))) if len(err) else 0.0, wrae, miae,
                     moae, table, _breakdowns(videos, err, labels), missing)


def _breakdowns(videos, err, labels) -> dict[str, dict[str, float]]:
    if not labels:
        return {}
    groups: dict[str, dict[str, list[float]]] = {"place": {}, "time": {}, "density": {}}
    names = {0: ("place", {0: "indoor", 1: "outdoor"}), 1: ("time", {0: "day", 1: "night"}),
             3: ("density", {k: f"D{k}" for k in range(5)})}
    for v, e in zip(videos, err):
        lab = labels.get(v)
        if not lab:
            continue
        for pos, (group, values) in names.items():
            if pos < len(lab) and lab[pos] in values:
                groups[group].setdefault(values[lab[pos]], []).append(float(e))
    return {g: {k: float(np.mean(v)) for k, v in sorted(d.items())}
            for g, d in groups.items() if d}


# ------------------------------------------------------------------ files
def read_video_counts(path: str | Path) -> dict[str, VideoCount]:
    """Read a ``vscrowd-video-counts`` file (docs/prediction-format.md).

    Raises:
        PredictionFormatError: Malformed file, a negative or non-numeric count, a video
            listed twice, inflow/outflow that are not lists of non-negative numbers.
    """
    path = Path(path)
    doc = read_json(path, PredictionFormatError, "counts file")
    if not isinstance(doc, dict) or doc.get("format") != COUNTS_FORMAT:
        raise PredictionFormatError(f"expected format {COUNTS_FORMAT!r}", path=path,
                                    field="format")
    if doc.get("version", 1) != 1:
        raise PredictionFormatError(f"expected version 1, got {doc.get('version')!r}",
                                    path=path, field="version")
    videos = doc.get("videos")
    if not isinstance(videos, list):
        raise PredictionFormatError("expected a 'videos' list", path=path, field="videos")
    out: dict[str, VideoCount] = {}
    for i, rec in enumerate(videos):
        where = f"videos[{i}]"
        if not isinstance(rec, dict) or not isinstance(rec.get("video"), str):
            raise PredictionFormatError("expected {\"video\": str, \"count\": number}",
                                        path=path, field=where)
        count = rec.get("count")
        if isinstance(count, bool) or not isinstance(count, (int, float)) or \
                not np.isfinite(count) or count < 0:
            raise PredictionFormatError(f"expected a non-negative count, got {count!r}",
                                        path=path, field=f"{where}.count")
        if rec["video"] in out:
            raise PredictionFormatError(f"video {rec['video']} listed twice", path=path,
                                        field=where)
        flows = [_flow(rec.get(k), path, f"{where}.{k}") for k in ("inflow", "outflow")]
        out[rec["video"]] = VideoCount(float(count), int(rec.get("frames", 0) or 0), *flows)
    return out


def _flow(value, path, where) -> np.ndarray | None:
    if value is None:
        return None
    ok = isinstance(value, list) and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and np.isfinite(v) and v >= 0
        for v in value)
    if not ok:
        raise PredictionFormatError("expected a list of non-negative numbers", path=path,
                                    field=where)
    return np.asarray(value, np.float64)


def read_cgnet_results(path: str | Path) -> dict[str, VideoCount]:
    """CGNet/OMAN ``video_results_*.json``: ``{video: {"video_num", "frame_num", ...}}``
    (video names as in SenseCrowd; translate them with a name map)."""
    path = Path(path)
    doc = read_json(path, PredictionFormatError, "results file")
    if not isinstance(doc, dict):
        raise PredictionFormatError("expected an object keyed by video", path=path)
    out = {}
    for video, info in doc.items():
        num = info.get("video_num") if isinstance(info, dict) else None
        if isinstance(num, bool) or not isinstance(num, (int, float)) or num < 0:
            raise PredictionFormatError(f"expected a non-negative video_num, got {num!r}",
                                        path=path, field=video)
        out[video] = VideoCount(float(num), int(info.get("frame_num", 0) or 0))
    return out


def read_drnet_counts(path: str | Path, videos: Sequence[str]) -> dict[str, VideoCount]:
    """DRNet's saved per-scene ``[pred, gt]`` array (``results/<k>_SENSE_cnt.py.npy``):
    the prediction column, in the order of ``videos`` (its test list's order; the file
    has no names). The ground-truth column is ignored: vscrowd recomputes it."""
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise PredictionFormatError(f"not a NumPy array file ({exc})", path=path) from exc
    if arr.ndim != 2 or arr.shape[1] != 2 or len(arr) != len(videos):
        raise PredictionFormatError(f"expected a ({len(videos)}, 2) [pred, gt] array, got "
                                    f"{arr.shape}", path=path)
    return {v: VideoCount(float(p), 0) for v, (p, _g) in zip(videos, arr)}


def write_video_counts(counts: Mapping[str, VideoCount], path: str | Path) -> Path:
    """Write counts as a ``vscrowd-video-counts`` file (atomically), e.g. to re-score a
    published run read by :func:`read_cgnet_results` with ``vscrowd eval``."""
    from .._io import atomic_write_text

    videos = []
    for video, c in counts.items():
        rec: dict[str, Any] = {"video": video, "count": c.count}
        if c.frames:
            rec["frames"] = c.frames
        for key, flow in (("inflow", c.inflow), ("outflow", c.outflow)):
            if flow is not None:
                rec[key] = flow.tolist()
        videos.append(rec)
    doc = {"format": COUNTS_FORMAT, "version": 1, "videos": videos}
    atomic_write_text(path, json.dumps(doc, indent=1) + "\n")
    return Path(path)
