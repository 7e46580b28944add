"""The evaluation core: ``score(gt, dt, options)`` computes every requested metric
family from point sets already on one frame table (``evaluate`` reads and aligns
files first; ``LocalizationMetric`` builds the point sets itself). One grid candidate
search (:func:`~vscrowd.eval.matching.candidate_pairs`) serves the families that share
it; the σ matching runs in blocks of whole frames on ``options.threads`` threads."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd

from ..errors import ConfigError, PredictionFormatError
from ..points import Points
from . import tuning
from .ap import COCO_THRESHOLDS, interpolated_precision, run_all
from .box_threshold import box_sigmas, box_threshold_counts
from .breakdowns import bootstrap_over_videos, per_video_table, size_recall
from .counting import count_errors
from .distance_ap import DEFAULT_RADII, distance_ap
from .families import DEFAULT_METRICS, DEFAULT_SIGMAS, METRICS, Metric
from .family_results import (
    BoxThresholdResult,
    DistanceAPResult,
    IdreesResult,
    LocalizationResult,
)
from .groundtruth import GroundTruth
from .idrees import IDREES_THRESHOLDS, idrees_curve
from .localization import candidate_radius, sigma_matches
from .matching import candidate_pairs, pooled_order, rank_in_frame, score_orders
from .results import EvaluationResult

__all__ = ["EvalOptions", "score"]


@dataclass(frozen=True, kw_only=True)
class EvalOptions:
    """What to compute (``evaluate``'s keyword arguments; defaults as there).

    Keyword-only, so that a field added later can never shift the others; validated
    once, when made (a :class:`~vscrowd.errors.ConfigError` names the bad option).
    ``threads`` changes how the work is shared, never a number.
    """

    sigmas: tuple[float, ...] = DEFAULT_SIGMAS
    metrics: tuple[Metric, ...] = DEFAULT_METRICS
    count_threshold: float = 0.5
    bootstrap: int = 0
    seed: int = 0
    size_edges: tuple[float, ...] = (20.0, 50.0)
    radii: tuple[float, ...] = tuple(DEFAULT_RADII)
    track_sigma: float = 20.0
    vic_interval: int = 15
    threads: int = tuning.DEFAULT_THREADS

    def __post_init__(self) -> None:
        self.validate()

    def validate(self) -> EvalOptions:
        """``self``, or a ConfigError naming the bad option."""
        if not isinstance(self.threads, int) or self.threads < 1:
            raise ConfigError(f"expected threads >= 1, got {self.threads!r}")
        for s in self.sigmas:
            if not 0 < s < float("inf"):
                raise ConfigError(f"expected a finite sigma > 0, got {s}")
        if not np.isfinite(self.count_threshold):
            raise ConfigError(f"expected a finite count threshold, got {self.count_threshold}")
        for m in self.metrics:
            if m not in METRICS:
                raise ConfigError(f"expected metric in {list(METRICS)}, got {m!r}")
        if self.bootstrap < 0:
            raise ConfigError(f"expected bootstrap >= 0, got {self.bootstrap}")
        return self


@dataclass(frozen=True)
class _Aligned:
    """Predictions re-indexed onto the ground truth's frames."""

    dt: Points  # frame_index: GT frame row; score always set
    pooled: Future | np.ndarray  # pooled score order (pycocotools), maybe still sorting
    out_of_image: int
    known_rank: np.ndarray | None = None  # rank within frame, when the sort gave it

    @property
    def order(self) -> np.ndarray:
        """The pooled score order (waits for the background sort if there is one)."""
        return self.pooled.result() if isinstance(self.pooled, Future) else self.pooled

    @cached_property
    def dt_rank(self) -> np.ndarray:
        """Rank within frame by score (stable); the σ matching ranks block by block."""
        if self.known_rank is not None:
            return self.known_rank
        return rank_in_frame(self.dt.frame_index, self.dt.score)

    @property
    def dt_frame(self) -> np.ndarray:
        return self.dt.frame_index

    @property
    def dt_xy(self) -> np.ndarray:
        return self.dt.xy

    @property
    def dt_score(self) -> np.ndarray:
        return self.dt.score


def _aligned(dt: Points, pool: ThreadPoolExecutor | None = None) -> _Aligned:
    """Rank within frame and the pooled score order (pycocotools' tie rule), and how
    many points lie outside their image."""
    frames = dt.frames
    w = (frames["width"].to_numpy(np.float64) if "width" in frames
         else np.full(len(frames), np.nan))[dt.frame_index]
    h = (frames["height"].to_numpy(np.float64) if "height" in frames
         else np.full(len(frames), np.nan))[dt.frame_index]
    with np.errstate(invalid="ignore"):
        out = (dt.xy[:, 0] < 0) | (dt.xy[:, 1] < 0) | (dt.xy[:, 0] > w) | (dt.xy[:, 1] > h)
    if pool is not None and len(dt) >= tuning.BACKGROUND_SORT:
        return _Aligned(dt, pool.submit(pooled_order, dt.frame_index, dt.score),
                        int(out.sum()))
    rank, pooled = score_orders(dt.frame_index, dt.score)  # small: one sort for both
    return _Aligned(dt, pooled, int(out.sum()), rank)


def score(gt: GroundTruth, dt: Points, options: EvalOptions = EvalOptions(), *,
          missing_frames: int = 0, scene_labels: Mapping[str, Sequence[int] | None]
          | None = None, source: str | None = None,
          progress: Callable[[str], None] | None = None) -> EvaluationResult:
    """The evaluation core: every requested family on arrays, no files, no names.

    ``dt`` are the predictions on ``gt``'s frame table (``dt.frame_index`` rows of
    ``gt.frames``; ``score`` required, ``track_id`` for "track").
    """
    # NumPy's sort releases the GIL: for large inputs the one global step (the pooled
    # score sort) runs on another core while the block-wise matching runs here; the
    # thread ends with the call. Same result either way.
    if options.threads <= 1:
        return _score(gt, _aligned(dt), options, missing_frames, scene_labels, source,
                      progress)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="vscrowd-sort") as pool:
        return _score(gt, _aligned(dt, pool), options, missing_frames, scene_labels,
                      source, progress)


def _score(gt: GroundTruth, al: _Aligned, o: EvalOptions, missing_frames: int,
           scene_labels, source, progress) -> EvaluationResult:
    step = progress or (lambda _label: None)
    wanted = set(o.metrics)
    pairs = _shared_pairs(gt, al, o.radii, wanted)
    localization, matches = ((), {})
    if {"sigma", "size", "video"} & wanted or o.bootstrap:
        localization, matches = _localization(gt, al, o.sigmas, step, "size" in wanted,
                                              o.threads)
    gt_counts = gt.counts()
    pred_counts = al.dt.counts(min_score=o.count_threshold)
    counting = None
    if "count" in wanted:
        counting = count_errors(pred_counts, gt_counts, o.count_threshold)
    tracking = vic = None
    if "track" in wanted:
        tracking, vic = _tracking(gt, al, source, o.track_sigma, o.vic_interval,
                                  scene_labels)
        step("tracking")
    video_of_frame = pd.factorize(gt.frames["video"].to_numpy(object))
    per_video = boot = None
    if "video" in wanted:
        per_video = per_video_table(video_of_frame, gt.frame_index, al, matches,
                                    gt_counts, pred_counts)
        step("per-video")
    if o.bootstrap:
        boot = bootstrap_over_videos(video_of_frame, gt.frame_index, al, matches,
                                     localization, o.bootstrap, o.seed)
        step("bootstrap")
    notes = {k: v for k, v in (("missing_frames", missing_frames),
                               ("points_outside_image", al.out_of_image)) if v}
    return EvaluationResult(
        localization=tuple(localization) if "sigma" in wanted else (), counting=counting,
        frames=len(gt.frames), gt_points=len(gt), pred_points=len(al.dt),
        box_threshold=_box(gt, al, pairs, step) if "box" in wanted else (),
        distance_ap=_distance(gt, al, o.radii, pairs, step) if "distance" in wanted else None,
        idrees=_idrees(gt, al, pairs, step) if "idrees" in wanted else None,
        tracking=tracking, video_counting=vic,
        size_recall=(tuple(size_recall(gt.box, matches[s][1], s, o.size_edges)
                           for s in o.sigmas) if "size" in wanted else ()),
        per_video=per_video, bootstrap=boot, notes=notes,
    )




def _shared_pairs(gt: GroundTruth, al: _Aligned, radii: Sequence[float], wanted: set[str]):
    """One candidate search at the largest radius the box, distance and Idrees
    families need; each keeps the pairs within its own radius (``matching.within``)."""
    need = []  # σ matching searches block by block (_localization)
    if "box" in wanted:
        need.append(float(np.max(box_sigmas(gt.box)[1], initial=0.0)))
    if "distance" in wanted:
        need.append(float(np.max(radii)))
    if "idrees" in wanted:
        need.append(float(IDREES_THRESHOLDS.max()))
    if not need:
        return None
    radius = max(need)
    return candidate_pairs(al.dt_frame, al.dt_xy, gt.frame_index, gt.xy,
                           radius + radius * 1e-9 + 1e-9)


def _blocks(dt_frame: np.ndarray, gt_frame: np.ndarray, n_frames: int
            ) -> list[tuple[np.ndarray | slice, np.ndarray | slice]]:
    """(prediction indices, ground-truth indices) of consecutive frame ranges holding
    about :data:`~vscrowd.eval.tuning.BLOCK_POINTS` points each (slices where the points
    are in frame order)."""
    orders = []
    for f in (dt_frame, gt_frame):
        orders.append(None if bool(np.all(f[1:] >= f[:-1])) else np.argsort(f, kind="stable"))
    cum = np.cumsum(np.bincount(dt_frame, minlength=n_frames)
                    + np.bincount(gt_frame, minlength=n_frames))
    total = int(cum[-1]) if n_frames else 0
    step = tuning.BLOCK_POINTS
    cuts = np.searchsorted(cum, np.arange(step, total, step))
    edges = np.unique(np.r_[0, cuts + 1, n_frames]).clip(0, n_frames)
    spans = []
    for f, order in zip((dt_frame, gt_frame), orders):
        bounds = np.searchsorted(f if order is None else f[order], edges)
        spans.append([slice(int(a), int(b)) if order is None else order[a:b]
                      for a, b in zip(bounds[:-1], bounds[1:])])
    return list(zip(*spans))


def _sigma_matches_blocked(gt: GroundTruth, al: _Aligned, sigmas: tuple[float, ...],
                           heads: bool = True, threads: int = tuning.DEFAULT_THREADS
                           ) -> dict[float, tuple[np.ndarray, np.ndarray | None]]:
    """Per σ: ``(dt_matched (T, D), gt_matched (T, G))`` bool -- which predictions and
    which heads are matched at each threshold -- from ``sigma_matches`` run block by
    block (frames never span blocks). Which head a prediction took is not kept: no
    metric needs it, and booleans are a quarter of the memory. ``heads=False`` skips
    ``gt_matched`` (None): only the size breakdown reads it."""
    n_t, n_dt, n_gt = len(COCO_THRESHOLDS), len(al.dt), len(gt)
    # np.empty: the blocks cover every prediction and head, so each entry is written once.
    out = {s: (np.empty((n_t, n_dt), bool), np.empty((n_t, n_gt), bool) if heads else None)
           for s in sigmas}
    radius = candidate_radius(max(sigmas))

    def block(d, g) -> None:
        df, dxy = al.dt_frame[d], al.dt_xy[d]
        # Whole frames: ranks are local (and already known for small inputs).
        rank = (al.known_rank[d] if al.known_rank is not None
                else rank_in_frame(df, al.dt_score[d]))
        gf, gxy = gt.frame_index[g], gt.xy[g]
        pairs = candidate_pairs(df, dxy, gf, gxy, radius)
        for s in sigmas:
            local, matched = sigma_matches(df, dxy, rank, gf, gxy, s, pairs=pairs)
            dt_matched, gt_matched = out[s]
            dt_matched[:, d] = local >= 0  # blocks write disjoint columns
            if heads:
                gt_matched[:, g] = matched

    blocks = _blocks(al.dt_frame, gt.frame_index, len(gt.frames))
    run_all(lambda b: block(*b), blocks, threads, "vscrowd-match")
    return out


def _localization(gt: GroundTruth, al: _Aligned, sigmas: tuple[float, ...], step,
                  heads: bool = True, threads: int = tuning.DEFAULT_THREADS
                  ) -> tuple[list[LocalizationResult], dict]:
    """σ-AP/AR per σ and the matches the size, per-video and bootstrap tables reuse."""
    localization = []
    matches = _sigma_matches_blocked(gt, al, sigmas, heads, threads) if sigmas else {}
    for s in sigmas:
        dt_matched, _ = matches[s]
        prec = rec = None
        if len(gt):
            prec, rec = interpolated_precision(dt_matched, len(gt), order=al.order,
                                               threads=threads)
        localization.append(LocalizationResult(s, COCO_THRESHOLDS.copy(), prec, rec))
        step(f"σ={s:g}")
    return localization, matches


def _box(gt: GroundTruth, al: _Aligned, pairs, step) -> tuple[BoxThresholdResult, ...]:
    sig_s, sig_l = box_sigmas(gt.box)
    out = tuple(box_threshold_counts(al.dt_frame, al.dt_xy, gt.frame_index, gt.xy, sig,
                                     pairs, radius=name)
                for name, sig in (("sigma_s", sig_s), ("sigma_l", sig_l)))
    step("box")
    return out


def _distance(gt: GroundTruth, al: _Aligned, radii: Sequence[float], pairs, step
              ) -> DistanceAPResult:
    r = np.asarray(radii, np.float64)
    out = DistanceAPResult(r, distance_ap(al.dt_frame, al.dt_xy, al.dt_rank, al.order,
                                          gt.frame_index, gt.xy, r, pairs))
    step("distance")
    return out


def _idrees(gt: GroundTruth, al: _Aligned, pairs, step) -> IdreesResult:
    out = IdreesResult(IDREES_THRESHOLDS, *idrees_curve(
        al.dt_frame, al.dt_xy, gt.frame_index, gt.xy, IDREES_THRESHOLDS, pairs))
    step("idrees")
    return out


def _tracking(gt: GroundTruth, al: _Aligned, source, sigma: float, interval: int, labels):
    from .video_scores import score_tracks  # SciPy's assignment solver: loaded when asked for

    if al.dt.track_id is None:
        raise PredictionFormatError("tracking metrics need points with track IDs "
                                    "([x, y, score, track_id])", path=source)
    return score_tracks(gt, al.dt_frame, al.dt_xy, al.dt.track_id, sigma=sigma,
                        interval=interval, labels=labels)
