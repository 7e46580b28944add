"""``evaluate(gt, preds)``: every metric from one call. The thin wrapper: read the
prediction file, put the predictions on the ground truth's frames, and hand both to
the array core (``core.score``)."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..datasets.annotations import Annotations
from ..datasets.vscrowd import VSCrowd
from ..errors import PredictionFormatError, VSCrowdWarning
from ..points import Points
from .core import EvalOptions, score
from .families import DEFAULT_METRICS, DEFAULT_SIGMAS, METRICS, Metric
from .families.distance import DEFAULT_RADII
from .groundtruth import GroundTruth
from .prediction_files import read_predictions
from .predictions import Predictions
from .results import EvaluationResult
from .tuning import DEFAULT_THREADS

__all__ = ["DEFAULT_METRICS", "DEFAULT_SIGMAS", "METRICS", "evaluate"]

logger = logging.getLogger(__name__)


def _same_table(gt: pd.DataFrame, pred: pd.DataFrame) -> np.ndarray | None:
    """``arange`` when the predictions list exactly the ground truth's frames in its
    order (files written by vscrowd, most submissions); None otherwise."""
    if len(gt) != len(pred):
        return None
    for col in ("video", "frame"):
        a, b = gt[col].array, pred[col].array
        # Arrays of one kind compare in C (Arrow strings never become Python objects).
        same = (a.equals(b) if type(a) is type(b) and a.dtype == b.dtype
                else np.array_equal(a.to_numpy(object), b.to_numpy(object)))
        if not same:
            return None
    return np.arange(len(gt), dtype=np.int64)


def _frame_rows(gt: GroundTruth, preds: Predictions, ignore_unknown: bool) -> np.ndarray:
    """GT frame row of each prediction record (-1: unknown and ignored)."""
    row = _same_table(gt.frames, preds.frames)
    if row is None:
        row = gt.resolver().rows(preds.frames["video"], preds.frames["frame"])
    unknown = [] if row.min(initial=0) >= 0 else [
        (v, f) for v, f, r in zip(preds.frames["video"].tolist(),
                                  preds.frames["frame"].tolist(), row) if r < 0]
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
        a, b = np.flatnonzero(row == i)[:2].tolist()
        names = [f"{preds.frames['video'].iat[k]}/{preds.frames['frame'].iat[k]}"
                 for k in (a, b)]
        raise PredictionFormatError(
            f"two records, {names[0]!r} and {names[1]!r}, map to frame "
            f"{gt.frames['video'].iat[i]}/{gt.frames['frame'].iat[i]}", path=preds.source)
    return row


def _align(gt: GroundTruth, preds: Predictions, ignore_unknown: bool
           ) -> tuple[Points, list[tuple[str, str]]]:
    """The predictions on the ground truth's frame table, and the GT frames that have
    no prediction record (they count as empty)."""
    if len(preds.frames) == 0:
        raise PredictionFormatError("the predictions list is empty; expected one record per "
                                    "frame of the evaluated split", path=preds.source)
    row = _frame_rows(gt, preds, ignore_unknown)
    present = np.zeros(len(gt.frames), bool)
    present[row[row >= 0]] = True
    missing = []
    if not present.all():
        videos = gt.frames["video"].to_numpy(object)
        frames = gt.frames["frame"].to_numpy(object)
        missing = [(videos[i], frames[i]) for i in np.flatnonzero(~present)]
    if missing:
        listed = ", ".join(f"{v}/{f}" for v, f in missing[:5])
        warnings.warn(f"{len(missing)} ground-truth frame(s) have no prediction record and "
                      f"count as empty: {listed}" + (" ..." if len(missing) > 5 else ""),
                      VSCrowdWarning, stacklevel=3)
    if np.array_equal(row, np.arange(len(row))):
        mapped, kept = preds.frame_index, preds  # the same table: nothing to re-index
    else:
        mapped = row[preds.frame_index]
        kept = preds[mapped >= 0]
        mapped = mapped[mapped >= 0]
    return Points(gt.frames, mapped, kept.xy, kept.score, kept.track_id), missing


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
    threads: int = DEFAULT_THREADS,
) -> EvaluationResult:
    """Score predictions against ground truth (see docs/metrics.md).

    Args:
        gt: Ground truth: a :class:`GroundTruth`, a :class:`~vscrowd.VSCrowd` (use
            ``split``) or :class:`~vscrowd.datasets.annotations.Annotations`.
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
        threads: Threads sharing the work (1: none started); never changes a number.

    Returns:
        :class:`EvaluationResult`; AP/AR are None where the split has no heads.

    Raises:
        PredictionFormatError: Empty predictions, unknown frames, duplicates.
        ConfigError: Unknown metric, non-positive σ, threads < 1.

    Example:
        >>> gt = GroundTruth.from_points({("v", "1"): np.array([[10.0, 10.0]])})
        >>> pr = Predictions.from_records([{"video": "v", "frame": "1",
        ...                                 "points": [[11, 10, 0.9]]}])
        >>> r = evaluate(gt, pr, sigmas=[5]).sigma(5)
        >>> round(r.map, 6), r.mar
        (1.0, 1.0)
    """
    options = EvalOptions(sigmas=tuple(float(s) for s in sigmas), metrics=tuple(metrics),
                          count_threshold=count_threshold, bootstrap=bootstrap, seed=seed,
                          size_edges=tuple(size_edges), radii=tuple(radii),
                          track_sigma=track_sigma, vic_interval=vic_interval,
                          threads=threads)
    gt_in, gt = gt, _as_gt(gt, split)
    if not isinstance(preds, Predictions):
        preds = read_predictions(preds)
    dt, missing = _align(gt, preds, ignore_unknown)
    if isinstance(gt_in, VSCrowd) and scene_labels is None and "scene_labels" in gt_in.videos:
        scene_labels = dict(zip(gt_in.videos["video"], gt_in.videos["scene_labels"]))
    return score(gt, dt, options, missing_frames=len(missing), scene_labels=scene_labels,
                 source=preds.source, progress=progress)
