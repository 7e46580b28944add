"""Tracking and video-counting scores of aligned predictions: the glue between the
evaluator's arrays and :mod:`vscrowd.eval.tracking` / :mod:`vscrowd.eval.vic`.

Frames of a video are taken in the evaluator's frame order (FrameIDs sorted as
written: VSCrowd's zero-padded IDs sort in time order).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from .groundtruth import GroundTruth
from .tracking import TrackingResult, TrackSequence, tracking_metrics
from .vic import PROTOCOLS, VICResult, VideoCount, vic_metrics, video_count

__all__ = ["score_counts", "score_tracks", "truth_counts"]


def _video_slices(gt: GroundTruth) -> dict[str, tuple[int, int]]:
    """``{video: (first frame row, last + 1)}``; frames are grouped by video."""
    videos = gt.frames["video"].to_numpy(object)
    change = np.flatnonzero(videos[1:] != videos[:-1]) + 1
    starts, ends = np.r_[0, change], np.r_[change, len(videos)]
    return {videos[s]: (int(s), int(e)) for s, e in zip(starts, ends) if len(videos)}


def _frame_ids(frame_rows: np.ndarray, ids: np.ndarray, start: int, n: int
               ) -> list[np.ndarray]:
    rel = frame_rows - start
    order = np.argsort(rel, kind="stable")
    bounds = np.searchsorted(rel[order], np.arange(n + 1))
    return [ids[order[bounds[i]:bounds[i + 1]]] for i in range(n)]


def _gt_counts(gt: GroundTruth, slices, interval: int) -> dict[str, dict[str, VideoCount]]:
    out: dict[str, dict[str, VideoCount]] = {p: {} for p in PROTOCOLS}
    for video, (s, e) in slices.items():
        sel = (gt.frame_index >= s) & (gt.frame_index < e)
        per_frame = _frame_ids(gt.frame_index[sel], gt.track_id[sel], s, e - s)
        for p in PROTOCOLS:
            out[p][video] = video_count(per_frame, p, interval)
    return out


def score_tracks(gt: GroundTruth, dt_frame: np.ndarray, dt_xy: np.ndarray,
                 dt_track: np.ndarray, *, sigma: float = 20.0, similarity: str = "gaussian",
                 interval: int = 15, labels: Mapping[str, Sequence[int] | None] | None = None
                 ) -> tuple[TrackingResult, dict[str, VICResult]]:
    """Tracking metrics and VIC metrics (both protocols) of predictions with track IDs
    (``dt_track`` -1 marks videos without IDs: their points do not enter the tracking
    metrics, and their VIC prediction counts as missing)."""
    if gt.track_id is None:
        raise ValueError("ground truth without head IDs cannot score tracks")
    slices = _video_slices(gt)
    sequences, pred_counts = [], {p: {} for p in PROTOCOLS}
    for video, (s, e) in slices.items():
        g = (gt.frame_index >= s) & (gt.frame_index < e)
        d = (dt_frame >= s) & (dt_frame < e) & (dt_track >= 0)
        if not d.any() and ((dt_frame >= s) & (dt_frame < e)).any():
            continue  # this video's points carry no IDs
        sequences.append(TrackSequence(e - s, gt.frame_index[g] - s, gt.track_id[g],
                                       gt.xy[g], dt_frame[d] - s, dt_track[d], dt_xy[d]))
        per_frame = _frame_ids(dt_frame[d], dt_track[d], s, e - s)
        for p in PROTOCOLS:
            pred_counts[p][video] = video_count(per_frame, p, interval)
    tracking = tracking_metrics(sequences, similarity=similarity, sigma=sigma)
    truth = _gt_counts(gt, slices, interval)
    vic = {p: vic_metrics(truth[p], pred_counts[p], protocol=p, interval=interval,
                          labels=labels) for p in PROTOCOLS}
    return tracking, vic


def truth_counts(gt: GroundTruth, interval: int = 15) -> dict[str, dict[str, VideoCount]]:
    """``{protocol: {video: VideoCount}}`` of the ground truth (with frame counts and
    per-pair inflow/outflow)."""
    return _gt_counts(gt, _video_slices(gt), interval)


def score_counts(gt: GroundTruth, counts: Mapping[str, VideoCount], *, interval: int = 15,
                 labels: Mapping[str, Sequence[int] | None] | None = None
                 ) -> dict[str, VICResult]:
    """VIC metrics of per-video counts (a ``vscrowd-video-counts`` file) under both
    ground-truth protocols."""
    slices = _video_slices(gt)
    truth = _gt_counts(gt, slices, interval)
    return {p: vic_metrics(truth[p], counts, protocol=p, interval=interval, labels=labels)
            for p in PROTOCOLS}
