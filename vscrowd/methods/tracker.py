"""A baseline point tracker: per-frame head points -> tracks with IDs.

Per video, frames in time order. Each live track predicts its next position with a
constant velocity; predictions and the frame's points are matched by the Hungarian
algorithm (:func:`scipy.optimize.linear_sum_assignment`) on distance, gated at
``gate`` pixels (scaled by the frames since the track was last seen). A matched track
moves and updates its velocity (smoothed); an unmatched point starts a track; a track
unseen for more than ``max_gap`` frames ends. Tracks shorter than ``min_length`` frames
are dropped with their points (they are mostly false detections). Only points with
score >= ``score_threshold`` are tracked.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import linear_sum_assignment

from ..datasets.vscrowd import VSCrowd
from ..errors import ConfigError
from ..eval.predictions import Predictions

__all__ = ["OnlineTracker", "TrackerConfig", "track_points"]


@dataclass(frozen=True)
class TrackerConfig:
    """Options of :func:`track_points` (defaults suit VSCrowd's 1080p frames)."""

    gate: float = 30.0  # px: largest distance between a prediction and a point per frame
    max_gap: int = 3  # frames a track may go unseen before it ends
    min_length: int = 3  # tracks seen in fewer frames are dropped
    score_threshold: float = 0.5  # points below are not tracked
    smoothing: float = 0.5  # weight of the newest velocity estimate

    def validate(self) -> TrackerConfig:
        if not self.gate > 0 or self.max_gap < 0 or self.min_length < 1 or \
                not 0 < self.smoothing <= 1:
            raise ConfigError(f"expected gate > 0, max_gap >= 0, min_length >= 1 and "
                              f"0 < smoothing <= 1, got {self}")
        return self


class OnlineTracker:
    """The linking step of :func:`track_points`, one frame at a time (``vscrowd predict
    --video --track`` links on the fly with it). ``update(points)`` returns the track ID
    of each point; ``lengths`` counts the frames each track was seen in (the offline
    tracker drops tracks shorter than ``min_length`` afterwards, which an online one
    cannot do for points it has already written)."""

    def __init__(self, config: TrackerConfig | None = None) -> None:
        self.cfg = (config or TrackerConfig()).validate()
        self.pos = np.empty((0, 2))
        self.vel = np.empty((0, 2))
        self.last = np.empty(0, np.int64)
        self.tid = np.empty(0, np.int64)
        self.next_id = 0
        self.frame = 0
        self.lengths: dict[int, int] = {}

    def update(self, pts: np.ndarray) -> np.ndarray:
        """Track IDs (int64) of ``pts`` ``(n, 2)``, the points of the next frame."""
        cfg, f = self.cfg, self.frame
        pts = np.asarray(pts, np.float64).reshape(-1, 2)
        ids = np.full(len(pts), -1, np.int64)
        live = f - self.last <= cfg.max_gap + 1
        pos, vel, last, tid = self.pos[live], self.vel[live], self.last[live], self.tid[live]
        if len(pts) and len(tid):
            gap = (f - last)[:, None]
            guess = pos + vel * gap
            dist = np.sqrt(((guess[:, None, :] - pts[None, :, :]) ** 2).sum(-1))
            ok = dist <= cfg.gate * gap
            rows, cols = linear_sum_assignment(np.where(ok, dist, 1e9))
            keep = ok[rows, cols]
            rows, cols = rows[keep], cols[keep]
            new_vel = (pts[cols] - pos[rows]) / (f - last[rows])[:, None]
            vel[rows] = cfg.smoothing * new_vel + (1 - cfg.smoothing) * vel[rows]
            pos[rows], last[rows] = pts[cols], f
            ids[cols] = tid[rows]
        born = np.flatnonzero(ids < 0)
        if len(born):
            new = np.arange(self.next_id, self.next_id + len(born))
            self.next_id += len(born)
            ids[born] = new
            pos = np.vstack([pos, pts[born]])
            vel = np.vstack([vel, np.zeros((len(born), 2))])
            last = np.r_[last, np.full(len(born), f)]
            tid = np.r_[tid, new]
        self.pos, self.vel, self.last, self.tid = pos, vel, last, tid
        for i in ids.tolist():
            self.lengths[i] = self.lengths.get(i, 0) + 1
        self.frame += 1
        return ids

    def people(self) -> int:
        """Tracks seen in at least ``min_length`` frames so far (unique people)."""
        return sum(n >= self.cfg.min_length for n in self.lengths.values())


def _link(frames_pts: list[np.ndarray], cfg: TrackerConfig) -> list[np.ndarray]:
    """Track IDs (-1: dropped) for the points of each frame of one video."""
    online = OnlineTracker(cfg)
    out = [online.update(pts) for pts in frames_pts]
    short = {i for i, n in online.lengths.items() if n < cfg.min_length}
    return [np.where(np.isin(ids, list(short)), -1, ids) for ids in out]


def track_points(preds: Predictions, ds: VSCrowd, config: TrackerConfig | None = None,
                 progress: Callable[[str], None] | None = None) -> Predictions:
    """Link ``preds`` into tracks over the frames of ``ds`` (frames without a prediction
    record count as frames without points). Returns predictions with ``track_ids``
    (points of dropped short tracks and below the score threshold are removed).

    Example:
        >>> import tempfile
        >>> from vscrowd import synthesize
        >>> ds = VSCrowd(synthesize(tempfile.mkdtemp() + "/d", videos=2, frames=4,
        ...                         size=(96, 64), images=False))
        >>> recs = [{"video": fa.video, "frame": fa.frame, "points": fa.xy.tolist()}
        ...         for fa in ds.iter_frames()]
        >>> tracked = track_points(Predictions.from_records(recs), ds)
        >>> tracked.track_id is not None
        True
    """
    cfg = (config or TrackerConfig()).validate()
    resolver = preds.resolver()
    keep = preds.score >= cfg.score_threshold
    everyone = np.arange(len(preds))  # frame_rows gives a slice or indices into this
    videos, frames, chunks, ids_out, scores_out = [], [], [], [], []
    for video in ds.videos["video"]:
        fids = ds.frames.loc[ds.frames["video"] == video, "frame"].astype(str).tolist()
        per_frame = []
        for fid in fids:
            r = resolver.row(video, fid)
            idx = (np.empty(0, np.int64) if r is None
                   else everyone[preds.frame_rows(r)])
            per_frame.append(idx[keep[idx]])
        ids = _link([preds.xy[i] for i in per_frame], cfg)
        for fid, idx, tid in zip(fids, per_frame, ids):
            ok = tid >= 0
            videos.append(video)
            frames.append(fid)
            chunks.append(preds.xy[idx[ok]])
            scores_out.append(preds.score[idx[ok]])
            ids_out.append(tid[ok])
        if progress:
            progress(video)
    counts = [len(c) for c in chunks]
    return Predictions.from_arrays(
        pd.DataFrame({"video": pd.Series(videos, dtype=object),
                      "frame": pd.Series(frames, dtype=object)}),
        np.repeat(np.arange(len(counts), dtype=np.int64), counts),
        np.concatenate(chunks) if chunks else np.empty((0, 2)),
        np.concatenate(scores_out) if chunks else np.empty(0),
        track_ids=np.concatenate(ids_out) if chunks else np.empty(0, np.int64),
        method=f"{preds.method or 'predictions'} + vscrowd tracker", source=preds.source)
