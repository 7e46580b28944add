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
from .vic_groups import group_metrics

__all__ = ["COUNTS_FORMAT", "PROTOCOLS", "VICResult", "VideoCount", "load_drnet_array",
           "read_cgnet_results", "read_drnet_counts", "read_video_counts", "video_count",
           "vic_metrics", "write_video_counts"]

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
    WRAE: float | None  # a fraction (papers print it in percent); None: frames unknown
    MIAE: float | None
    MOAE: float | None
    per_video: pd.DataFrame
    breakdowns: dict[str, dict[str, Any]]  # DRNet's groups, with scene labels
    missing: tuple[str, ...] = ()

    def groups(self) -> dict[str, dict[str, Any]]:
        """DRNet's groups (:attr:`breakdowns`), or only ``all`` without scene labels."""
        return self.breakdowns or {"all": {
            "videos": len(self.per_video), "MAE": self.MAE, "RMSE": self.RMSE,
            "WRAE": self.WRAE, "MIAE": self.MIAE, "MOAE": self.MOAE}}

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
    count) and is listed in ``missing``. WRAE is None when a video's frame count is
    unknown (0). ``labels`` (SenseCrowd ``scene_label.txt``) adds DRNet's breakdowns:
    every metric for the groups of :data:`~vscrowd.eval.vic_groups.GROUPS`.
    """
    videos = list(gt)
    missing = tuple(v for v in videos if v not in pred)
    g = np.array([gt[v].count for v in videos], np.float64)
    p = np.array([pred[v].count if v in pred else 0.0 for v in videos], np.float64)
    t = np.array([gt[v].frames for v in videos], np.float64)
    flows = [_flow_errors(gt[v], pred.get(v)) for v in videos]
    groups = group_metrics(videos, np.abs(p - g), g, t, flows, labels or {})
    a = groups["all"]
    table = pd.DataFrame({"video": videos, "frames": t.astype(int), "gt": g, "pred": p,
                          "error": p - g})
    mae, rmse = (a["MAE"], a["RMSE"]) if videos else (0.0, 0.0)
    return VICResult(protocol, interval, mae, rmse, a["WRAE"], a["MIAE"], a["MOAE"], table,
                     groups if labels else {}, missing)


def _flow_errors(gt: VideoCount, pred: VideoCount | None
                 ) -> tuple[np.ndarray, np.ndarray] | None:
    """Per pair |inflow error| and |outflow error|, when both sides have the pairs."""
    if pred is None or pred.inflow is None or pred.outflow is None or gt.inflow is None \
            or gt.outflow is None or len(pred.inflow) != len(gt.inflow):
        return None
    return np.abs(pred.inflow - gt.inflow), np.abs(pred.outflow - gt.outflow)


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
        # not (num >= 0): NaN too (json reads NaN; it reached the results as "MAE": NaN)
        if isinstance(num, bool) or not isinstance(num, (int, float)) or not num >= 0 \
                or num == float("inf"):
            raise PredictionFormatError(f"expected a finite video_num >= 0, got {num!r}",
                                        path=path, field=video)
        frames = info.get("frame_num", 0)
        whole = isinstance(frames, int) or (isinstance(frames, float) and frames.is_integer())
        if frames is not None and (isinstance(frames, bool) or not whole or frames < 0):
            raise PredictionFormatError(f"expected a whole frame_num >= 0, got {frames!r}",
                                        path=path, field=video)
        out[video] = VideoCount(float(num), int(frames or 0))
    return out


def load_drnet_array(path: str | Path, videos: Sequence[str] | None = None) -> np.ndarray:
    """DRNet's saved per-scene ``[pred, gt]`` array (``results/<k>_SENSE_cnt.py.npy``) as
    float64 ``(n, 2)``; with ``videos`` (its test list, which orders the rows) ``n`` must
    be their number.

    Raises:
        PredictionFormatError: Not a ``.npy`` file, an array of pickled objects (never
            unpickled: that would run code from the file), or another shape.
    """
    path = Path(path)
    try:
        with open(path, "rb") as fh:
            major, _minor = np.lib.format.read_magic(fh)
            read_header = (np.lib.format.read_array_header_1_0 if major == 1
                           else np.lib.format.read_array_header_2_0)
            _shape, _order, dtype = read_header(fh)
            if dtype.hasobject:
                raise PredictionFormatError(
                    "holds pickled Python objects (dtype object), which vscrowd never "
                    "unpickles (loading them would run code from the file); save plain "
                    "numbers instead: np.save(path, np.asarray(rows, np.float32)) with one "
                    "[pred, gt] row per video, or a vscrowd-video-counts JSON "
                    "(vscrowd.eval.vic.write_video_counts)", path=path)
            fh.seek(0)
            arr = np.load(fh, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise PredictionFormatError(f"not a NumPy array file ({exc})", path=path) from exc
    if arr.dtype.kind not in "iuf":  # strings or booleans: not counts
        raise PredictionFormatError(f"expected numbers, got an array of {arr.dtype}",
                                    path=path)
    want = f"({len(videos)}, 2)" if videos is not None else "(n, 2)"
    if arr.ndim != 2 or arr.shape[1] != 2 or (videos is not None and len(arr) != len(videos)):
        raise PredictionFormatError(f"expected a {want} [pred, gt] array, got {arr.shape}"
                                    + ("" if videos is None else
                                       " (is the split list the one that orders its rows?)"),
                                    path=path)
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise PredictionFormatError("expected finite, non-negative counts", path=path)
    return arr.astype(np.float64)


def read_drnet_counts(path: str | Path, videos: Sequence[str]) -> dict[str, VideoCount]:
    """The prediction column of DRNet's ``[pred, gt]`` array (:func:`load_drnet_array`),
    in the order of ``videos`` (its test list's order; the file has no names)."""
    arr = load_drnet_array(path, videos)
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
