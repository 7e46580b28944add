"""``evaluate(gt, preds)``: every metric from one call, without files."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..annotations import Annotations, frame_number
from ..dataset import VSCrowd
from ..errors import ConfigError, PredictionFormatError, VSCrowdWarning
from .ap import COCO_THRESHOLDS, global_order
from .box_threshold import box_sigmas, box_threshold_counts
from .breakdowns import bootstrap_over_videos, per_video_table, size_recall
from .counting import count_errors, frame_counts
from .distance_ap import DEFAULT_RADII, distance_ap
from .families import DEFAULT_METRICS, DEFAULT_SIGMAS, METRICS, Metric
from .groundtruth import GroundTruth
from .idrees import IDREES_THRESHOLDS, idrees_curve
from .localization import candidate_radius, sigma_matches, sigma_precision_recall
from .matching import candidate_pairs, rank_in_frame
from .predictions import Predictions, read_predictions
from .results import (
    BoxThresholdResult,
    CountingResult,
    DistanceAPResult,
    EvaluationResult,
    IdreesResult,
    LocalizationResult,
)
from .tracks import score_tracks

__all__ = ["DEFAULT_METRICS", "DEFAULT_SIGMAS", "METRICS", "evaluate"]

logger = logging.getLogger(__name__)



@dataclass(frozen=True)
class _Aligned:
    """Predictions re-indexed onto the ground truth's frames."""

    dt_frame: np.ndarray  # (D,) GT frame row of each prediction
    dt_xy: np.ndarray
    dt_score: np.ndarray
    dt_rank: np.ndarray  # rank within frame by score (stable)
    dt_track: np.ndarray | None  # track ID of each prediction (-1: none)
    order: np.ndarray  # pooled score order (pycocotools)
    missing: list[tuple[str, str]]
    out_of_image: int


def _align(gt: GroundTruth, preds: Predictions, ignore_unknown: bool) -> _Aligned:
    if len(preds.frames) == 0:
        raise PredictionFormatError("the predictions list is empty; expected one record per "
                                    "frame of the evaluated split", path=preds.source)
    videos = gt.frames["video"].to_numpy(object)
    frames = gt.frames["frame"].to_numpy(object)
    exact = {(v, f): i for i, (v, f) in enumerate(zip(videos, frames))}
    by_value = {(v, frame_number(f)): i for i, (v, f) in enumerate(zip(videos, frames))
                if frame_number(f) is not None}
    row = np.empty(len(preds.frames), np.int64)
    unknown = []
    for r, (v, f) in enumerate(zip(preds.frames["video"], preds.frames["frame"])):
        i = exact.get((v, f))
        if i is None and frame_number(f) is not None:
            i = by_value.get((v, frame_number(f)))
        if i is None:
            unknown.append((v, f))
            i = -1
        row[r] = i
    if unknown:
        listed = ", ".join(f"{v}/{f}" for v, f in unknown[:5])
        if not ignore_unknown:
            raise PredictionFormatError(
                f"{len(unknown)} predicted frame(s) are not in the evaluated ground truth "
                f"(e.g. {listed}); check --split, or pass --ignore-unknown to drop them",
                path=preds.source)
        warnings.warn(f"ignored {len(unknown)} predicted frame(s) not in the ground truth: "
                      f"{listed}", VSCrowdWarning, stacklevel=3)
    mapped = row[preds.frame_index]
    keep = mapped >= 0
    dup = pd.Series(row[row >= 0]).duplicated()
    if dup.any():
        i = int(row[row >= 0][dup.to_numpy()][0])
        raise PredictionFormatError(
            f"two records map to frame {videos[i]}/{frames[i]} (e.g. '1' and '0001')",
            path=preds.source)
    present = np.zeros(len(gt.frames), bool)
    present[row[row >= 0]] = True
    missing = [(videos[i], frames[i]) for i in np.flatnonzero(~present)]
    if missing:
        listed = ", ".join(f"{v}/{f}" for v, f in missing[:5])
        warnings.warn(f"{len(missing)} ground-truth frame(s) have no prediction record and "
                      f"count as empty: {listed}" + (" ..." if len(missing) > 5 else ""),
                      VSCrowdWarning, stacklevel=3)
    dt_frame = mapped[keep]
    dt_xy = preds.points[keep]
    dt_score = preds.scores[keep]
    w = gt.frames["width"].to_numpy(np.float64)[dt_frame]
    h = gt.frames["height"].to_numpy(np.float64)[dt_frame]
    with np.errstate(invalid="ignore"):
        out = (dt_xy[:, 0] < 0) | (dt_xy[:, 1] < 0) | (dt_xy[:, 0] > w) | (dt_xy[:, 1] > h)
    rank = rank_in_frame(dt_frame, dt_score)
    track = None if preds.track_ids is None else preds.track_ids[keep]
    return _Aligned(dt_frame, dt_xy, dt_score, rank, track,
                    global_order(dt_frame, rank, dt_score), missing, int(out.sum()))


def _as_gt(gt: GroundTruth | VSCrowd | Annotations, split: str | None) -> GroundTruth:
    if isinstance(gt, GroundTruth):
        return gt
    if isinstance(gt, VSCrowd):
        return GroundTruth.from_dataset(gt, split)
    if isinstance(gt, Annotations):
        return GroundTruth.from_annotations(gt)
    raise TypeError(f"expected GroundTruth, VSCrowd or Annotations, got {type(gt).__name__}")


def evaluate(
    gt: GroundTruth | VSCrowd | Annotations,
    preds: Predictions | str | Path,
    *,
    sigmas: Iterable[float] = DEFAULT_SIGMAS,
    metrics: Sequence[Metric] = DEFAULT_METRICS,
    split: str | None = None,
    count_threshold: float = 0.5,
    ignore_unknown: bool = False,
    bootstrap: int = 0,
    seed: int = 0,
    size_edges: Sequence[float] = (20.0, 50.0),
    radii: Sequence[float] = tuple(DEFAULT_RADII),
    track_sigma: float = 20.0,
    vic_interval: int = 15,
    scene_labels: Mapping[str, Sequence[int] | None] | None = None,
    progress: Callable[[str], None] | None = None,
) -> EvaluationResult:
    """Score predictions against ground truth (see docs/metrics.md).

    Args:
        gt: Ground truth: a :class:`GroundTruth`, a :class:`~vscrowd.VSCrowd` (use
            ``split``) or :class:`~vscrowd.annotations.Annotations`.
        preds: :class:`Predictions` or a prediction file path.
        sigmas: Positive ranges σ in pixels for AP/AR.
        metrics: Metric families, any of :data:`METRICS`.
        split: Split of a :class:`~vscrowd.VSCrowd` to evaluate (None: all frames).
        count_threshold: Points with score >= this are counted (MAE/RMSE/NAE).
        ignore_unknown: Drop predicted frames that are not in the ground truth
            instead of raising.
        bootstrap: Number of bootstrap resamples of whole videos (0: none).
        seed: Seed of the bootstrap.
        size_edges: Head-size bucket edges in px (sqrt of box area) for "size".
        radii: Pixel radii for "distance".
        track_sigma: σ (px) of the point similarity of the tracking metrics ("track").
        vic_interval: Frame interval of the ``drnet`` counting protocol ("track").
        scene_labels: SenseCrowd scene labels per video, for VIC breakdowns.
        progress: Called with a short label after each stage.

    Returns:
        :class:`EvaluationResult`; AP/AR are None where the split has no heads.

    Raises:
        PredictionFormatError: Empty predictions, unknown frames, duplicates.
        ConfigError: Unknown metric or non-positive σ.

    Example:
        >>> gt = GroundTruth.from_points({("v", "1"): np.array([[10.0, 10.0]])})
        >>> pr = Predictions.from_records([{"video": "v", "frame": "1",
        ...                                 "points": [[11, 10, 0.9]]}])
        >>> r = evaluate(gt, pr, sigmas=[5]).sigma(5)
        >>> round(r.map, 6), r.mar
        (1.0, 1.0)
    """
    sigmas = tuple(float(s) for s in sigmas)
    for s in sigmas:
        if not 0 < s < float("inf"):
            raise ConfigError(f"expected a finite sigma > 0, got {s}")
    if not np.isfinite(count_threshold):
        raise ConfigError(f"expected a finite count threshold, got {count_threshold}")
    for m in metrics:
        if m not in METRICS:
            raise ConfigError(f"expected metric in {list(METRICS)}, got {m!r}")
    if bootstrap < 0:
        raise ConfigError(f"expected bootstrap >= 0, got {bootstrap}")
    gt_in, gt = gt, _as_gt(gt, split)
    if not isinstance(preds, Predictions):
        preds = read_predictions(preds)
    al = _align(gt, preds, ignore_unknown)
    n_frames, n_gt = len(gt.frames), len(gt)
    step = progress or (lambda _label: None)

    localization, matches = [], {}
    if {"sigma", "size", "video"} & set(metrics) or bootstrap:
        # One KD-tree search at the largest σ serves every σ.
        pairs = candidate_pairs(al.dt_frame, al.dt_xy, gt.frame_index, gt.points,
                                candidate_radius(max(sigmas)))
        for s in sigmas:
            dt_gt, gt_matched = sigma_matches(al.dt_frame, al.dt_xy, al.dt_rank,
                                              gt.frame_index, gt.points, s, pairs=pairs)
            matches[s] = (dt_gt, gt_matched)
            if n_gt:
                prec, rec = sigma_precision_recall(dt_gt, al.order, n_gt)
            else:
                prec = rec = None
            localization.append(LocalizationResult(s, COCO_THRESHOLDS.copy(), prec, rec))
            step(f"σ={s:g}")

    counting = None
    gt_counts = frame_counts(gt.frame_index, n_frames)
    pred_counts = frame_counts(al.dt_frame, n_frames, al.dt_score, count_threshold)
    if "count" in metrics:
        c = count_errors(pred_counts, gt_counts)
        counting = CountingResult(c["MAE"], c["RMSE"], c["NAE"], c["frames"], count_threshold)

    box = ()
    if "box" in metrics:
        sig_s, sig_l = box_sigmas(gt.boxes)
        box = tuple(
            BoxThresholdResult(name, **{k.lower(): v for k, v in box_threshold_counts(
                al.dt_frame, al.dt_xy, gt.frame_index, gt.points, sig).items()})
            for name, sig in (("sigma_s", sig_s), ("sigma_l", sig_l)))
        step("box")

    dist = None
    if "distance" in metrics:
        r = np.asarray(radii, np.float64)
        dist = DistanceAPResult(r, distance_ap(al.dt_frame, al.dt_xy, al.dt_rank, al.order,
                                               gt.frame_index, gt.points, r))
        step("distance")

    idrees = None
    if "idrees" in metrics:
        idrees = IdreesResult(IDREES_THRESHOLDS, *idrees_curve(
            al.dt_frame, al.dt_xy, gt.frame_index, gt.points, IDREES_THRESHOLDS))
        step("idrees")

    tracking = vic = None
    if "track" in metrics:
        if al.dt_track is None:
            raise PredictionFormatError("tracking metrics need points with track IDs "
                                        "([x, y, score, track_id])", path=preds.source)
        if isinstance(gt_in, VSCrowd) and scene_labels is None and \
                "scene_labels" in gt_in.videos:
            scene_labels = dict(zip(gt_in.videos["video"], gt_in.videos["scene_labels"]))
        tracking, vic = score_tracks(gt, al.dt_frame, al.dt_xy, al.dt_track,
                                     sigma=track_sigma, interval=vic_interval,
                                     labels=scene_labels)
        step("tracking")

    sizes = ()
    if "size" in metrics:
        sizes = tuple(size_recall(gt.boxes, matches[s][1], s, size_edges) for s in sigmas)

    per_video = None
    video_of_frame = pd.factorize(gt.frames["video"].to_numpy(object))
    if "video" in metrics:
        per_video = per_video_table(video_of_frame, gt.frame_index, al, matches,
                                    gt_counts, pred_counts)
        step("per-video")

    boot = None
    if bootstrap:
        boot = bootstrap_over_videos(video_of_frame, gt.frame_index, al, matches,
                                     localization, bootstrap, seed)
        step("bootstrap")

    notes = {}
    if al.missing:
        notes["missing_frames"] = len(al.missing)
    if al.out_of_image:
        notes["points_outside_image"] = al.out_of_image
    if "sigma" not in metrics:
        localization = []
    return EvaluationResult(
        localization=tuple(localization), counting=counting, frames=n_frames,
        gt_points=n_gt, pred_points=len(al.dt_xy), box_threshold=box, distance_ap=dist,
        idrees=idrees, tracking=tracking, video_counting=vic,
        size_recall=sizes, per_video=per_video, bootstrap=boot, notes=notes,
    )
