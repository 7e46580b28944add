"""``evaluate(gt, preds)``: every metric from one call, without files."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..annotations import Annotations
from ..dataset import VSCrowd
from ..errors import ConfigError, PredictionFormatError, VSCrowdWarning
from ..points import Points
from .ap import COCO_THRESHOLDS, global_order
from .box_threshold import box_sigmas, box_threshold_counts
from .breakdowns import bootstrap_over_videos, per_video_table, size_recall
from .counting import count_errors
from .distance_ap import DEFAULT_RADII, distance_ap
from .families import DEFAULT_METRICS, DEFAULT_SIGMAS, METRICS, Metric
from .family_results import (
    BoxThresholdResult,
    CountingResult,
    DistanceAPResult,
    IdreesResult,
    LocalizationResult,
)
from .groundtruth import GroundTruth
from .idrees import IDREES_THRESHOLDS, idrees_curve
from .localization import candidate_radius, sigma_matches, sigma_precision_recall
from .matching import candidate_pairs, rank_in_frame
from .prediction_files import read_predictions
from .predictions import Predictions
from .results import EvaluationResult
from .tracks import score_tracks

__all__ = ["DEFAULT_METRICS", "DEFAULT_SIGMAS", "METRICS", "evaluate"]

logger = logging.getLogger(__name__)



@dataclass(frozen=True)
class _Aligned:
    """Predictions re-indexed onto the ground truth's frames."""

    dt: Points  # frame_index: GT frame row; score always set
    dt_rank: np.ndarray  # rank within frame by score (stable)
    order: np.ndarray  # pooled score order (pycocotools)
    missing: list[tuple[str, str]]
    out_of_image: int

    @property
    def dt_frame(self) -> np.ndarray:
        return self.dt.frame_index

    @property
    def dt_xy(self) -> np.ndarray:
        return self.dt.xy

    @property
    def dt_score(self) -> np.ndarray:
        return self.dt.score


def _frame_rows(gt: GroundTruth, preds: Predictions, ignore_unknown: bool) -> np.ndarray:
    """GT frame row of each prediction record (-1: unknown and ignored)."""
    row = gt.resolver().rows(preds.frames["video"], preds.frames["frame"])
    unknown = [(v, f) for v, f, r in zip(preds.frames["video"], preds.frames["frame"], row)
               if r < 0]
    if unknown:
        listed = ", ".join(f"{v}/{f}" for v, f in unknown[:5])
        if not ignore_unknown:
            raise PredictionFormatError(
                f"{len(unknown)} predicted frame(s) are not in the evaluated ground truth "
                f"(e.g. {listed}); check --split, or pass --ignore-unknown to drop them",
                path=preds.source)
        warnings.warn(f"ignored {len(unknown)} predicted frame(s) not in the ground truth: "
                      f"{listed}", VSCrowdWarning, stacklevel=4)
    known = row[row >= 0]
    dup = pd.Series(known).duplicated().to_numpy()
    if dup.any():
        i = int(known[dup][0])
        raise PredictionFormatError(
            f"two records map to frame {gt.frames['video'].iat[i]}/"
            f"{gt.frames['frame'].iat[i]} (e.g. '1' and '0001')", path=preds.source)
    return row


def _align(gt: GroundTruth, preds: Predictions, ignore_unknown: bool) -> _Aligned:
    if len(preds.frames) == 0:
        raise PredictionFormatError("the predictions list is empty; expected one record per "
                                    "frame of the evaluated split", path=preds.source)
    row = _frame_rows(gt, preds, ignore_unknown)
    present = np.zeros(len(gt.frames), bool)
    present[row[row >= 0]] = True
    videos, frames = gt.frames["video"].to_numpy(object), gt.frames["frame"].to_numpy(object)
    missing = [(videos[i], frames[i]) for i in np.flatnonzero(~present)]
    if missing:
        listed = ", ".join(f"{v}/{f}" for v, f in missing[:5])
        warnings.warn(f"{len(missing)} ground-truth frame(s) have no prediction record and "
                      f"count as empty: {listed}" + (" ..." if len(missing) > 5 else ""),
                      VSCrowdWarning, stacklevel=3)
    mapped = row[preds.frame_index]
    kept = preds[mapped >= 0]
    dt = Points(gt.frames, mapped[mapped >= 0], kept.xy, kept.score, kept.track_id)
    w = gt.frames["width"].to_numpy(np.float64)[dt.frame_index]
    h = gt.frames["height"].to_numpy(np.float64)[dt.frame_index]
    with np.errstate(invalid="ignore"):
        out = (dt.xy[:, 0] < 0) | (dt.xy[:, 1] < 0) | (dt.xy[:, 0] > w) | (dt.xy[:, 1] > h)
    rank = rank_in_frame(dt.frame_index, dt.score)
    return _Aligned(dt, rank, global_order(dt.frame_index, rank, dt.score), missing,
                    int(out.sum()))


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
    sigmas = _check_options(sigmas, metrics, count_threshold, bootstrap)
    gt_in, gt = gt, _as_gt(gt, split)
    if not isinstance(preds, Predictions):
        preds = read_predictions(preds)
    al = _align(gt, preds, ignore_unknown)
    step = progress or (lambda _label: None)
    wanted = set(metrics)
    localization, matches = _localization(gt, al, sigmas, wanted, bootstrap, step)
    gt_counts = gt.counts()
    pred_counts = al.dt.counts(min_score=count_threshold)
    counting = None
    if "count" in wanted:
        c = count_errors(pred_counts, gt_counts)
        counting = CountingResult(c["MAE"], c["RMSE"], c["NAE"], c["frames"], count_threshold)
    tracking = vic = None
    if "track" in wanted:
        if isinstance(gt_in, VSCrowd) and scene_labels is None and \
                "scene_labels" in gt_in.videos:
            scene_labels = dict(zip(gt_in.videos["video"], gt_in.videos["scene_labels"]))
        tracking, vic = _tracking(gt, al, preds.source, track_sigma, vic_interval,
                                  scene_labels)
        step("tracking")
    video_of_frame = pd.factorize(gt.frames["video"].to_numpy(object))
    per_video = boot = None
    if "video" in wanted:
        per_video = per_video_table(video_of_frame, gt.frame_index, al, matches,
                                    gt_counts, pred_counts)
        step("per-video")
    if bootstrap:
        boot = bootstrap_over_videos(video_of_frame, gt.frame_index, al, matches,
                                     localization, bootstrap, seed)
        step("bootstrap")
    notes = {k: v for k, v in (("missing_frames", len(al.missing)),
                               ("points_outside_image", al.out_of_image)) if v}
    return EvaluationResult(
        localization=tuple(localization) if "sigma" in wanted else (), counting=counting,
        frames=len(gt.frames), gt_points=len(gt), pred_points=len(al.dt),
        box_threshold=_box(gt, al, step) if "box" in wanted else (),
        distance_ap=_distance(gt, al, radii, step) if "distance" in wanted else None,
        idrees=_idrees(gt, al, step) if "idrees" in wanted else None,
        tracking=tracking, video_counting=vic,
        size_recall=(tuple(size_recall(gt.boxes, matches[s][1], s, size_edges)
                           for s in sigmas) if "size" in wanted else ()),
        per_video=per_video, bootstrap=boot, notes=notes,
    )


def _check_options(sigmas: Iterable[float], metrics: Sequence[Metric],
                   count_threshold: float, bootstrap: int) -> tuple[float, ...]:
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
    return sigmas


def _localization(gt: GroundTruth, al: _Aligned, sigmas: tuple[float, ...], wanted: set[str],
                  bootstrap: int, step) -> tuple[list[LocalizationResult], dict]:
    """σ-AP/AR per σ and the matches the size, per-video and bootstrap tables reuse."""
    localization, matches = [], {}
    if not ({"sigma", "size", "video"} & wanted or bootstrap):
        return localization, matches
    # One KD-tree search at the largest σ serves every σ.
    pairs = candidate_pairs(al.dt_frame, al.dt_xy, gt.frame_index, gt.points,
                            candidate_radius(max(sigmas)))
    for s in sigmas:
        dt_gt, gt_matched = sigma_matches(al.dt_frame, al.dt_xy, al.dt_rank,
                                          gt.frame_index, gt.points, s, pairs=pairs)
        matches[s] = (dt_gt, gt_matched)
        prec = rec = None
        if len(gt):
            prec, rec = sigma_precision_recall(dt_gt, al.order, len(gt))
        localization.append(LocalizationResult(s, COCO_THRESHOLDS.copy(), prec, rec))
        step(f"σ={s:g}")
    return localization, matches


def _box(gt: GroundTruth, al: _Aligned, step) -> tuple[BoxThresholdResult, ...]:
    sig_s, sig_l = box_sigmas(gt.boxes)
    out = tuple(
        BoxThresholdResult(name, **{k.lower(): v for k, v in box_threshold_counts(
            al.dt_frame, al.dt_xy, gt.frame_index, gt.points, sig).items()})
        for name, sig in (("sigma_s", sig_s), ("sigma_l", sig_l)))
    step("box")
    return out


def _distance(gt: GroundTruth, al: _Aligned, radii: Sequence[float], step
              ) -> DistanceAPResult:
    r = np.asarray(radii, np.float64)
    out = DistanceAPResult(r, distance_ap(al.dt_frame, al.dt_xy, al.dt_rank, al.order,
                                          gt.frame_index, gt.points, r))
    step("distance")
    return out


def _idrees(gt: GroundTruth, al: _Aligned, step) -> IdreesResult:
    out = IdreesResult(IDREES_THRESHOLDS, *idrees_curve(
        al.dt_frame, al.dt_xy, gt.frame_index, gt.points, IDREES_THRESHOLDS))
    step("idrees")
    return out


def _tracking(gt: GroundTruth, al: _Aligned, source, sigma: float, interval: int, labels):
    if al.dt.track_id is None:
        raise PredictionFormatError("tracking metrics need points with track IDs "
                                    "([x, y, score, track_id])", path=source)
    return score_tracks(gt, al.dt_frame, al.dt_xy, al.dt.track_id, sigma=sigma,
                        interval=interval, labels=labels)
