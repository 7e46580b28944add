"""What the metric families share while one evaluation runs: the predictions on the
ground truth's frames (ranked once), the σ matching (run block by block on
``block_threads`` threads), the blocks of whole frames that per-frame work runs in,
and each family's result, computed once when asked for (:class:`Context`)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import pandas as pd

from ..points import Points
from . import tuning
from .ap import COCO_THRESHOLDS, run_all
from .groundtruth import GroundTruth
from .localization import sigma_matches_many
from .matching import pooled_order, rank_in_frame, score_orders

__all__ = ["Aligned", "Context", "aligned", "sigma_matches_blocked"]


@dataclass(frozen=True)
class Aligned:
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

    def rank_of(self, d: np.ndarray | slice) -> np.ndarray:
        """Rank within frame by score (stable) of the predictions ``d``, which hold
        whole frames (a block): ranked on their own unless the sort already gave it."""
        if self.known_rank is not None:
            return self.known_rank[d]
        return rank_in_frame(self.dt_frame[d], self.dt_score[d])

    @property
    def dt_frame(self) -> np.ndarray:
        return self.dt.frame_index

    @property
    def dt_xy(self) -> np.ndarray:
        return self.dt.xy

    @property
    def dt_score(self) -> np.ndarray:
        return self.dt.score


def aligned(dt: Points, pool: ThreadPoolExecutor | None = None) -> Aligned:
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
        return Aligned(dt, pool.submit(pooled_order, dt.frame_index, dt.score),
                       int(out.sum()))
    rank, pooled = score_orders(dt.frame_index, dt.score)  # small: one sort for both
    return Aligned(dt, pooled, int(out.sum()), rank)


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


def sigma_matches_blocked(gt: GroundTruth, al: Aligned, sigmas: tuple[float, ...],
                          heads: bool = True, threads: int = tuning.DEFAULT_THREADS
                          ) -> dict[float, tuple[np.ndarray, np.ndarray | None]]:
    """Per σ: ``(dt_matched (T, D), gt_matched (T, G))`` bool -- which predictions and
    which heads are matched at each threshold -- from ``sigma_matches_many`` run block by
    block (frames never span blocks). Which head a prediction took is not kept: no
    metric needs it, and booleans are a quarter of the memory. ``heads=False`` skips
    ``gt_matched`` (None): only the size breakdown reads it."""
    n_t, n_dt, n_gt = len(COCO_THRESHOLDS), len(al.dt), len(gt)
    # np.empty: the blocks cover every prediction and head, so each entry is written once.
    out = {s: (np.empty((n_t, n_dt), bool), np.empty((n_t, n_gt), bool) if heads else None)
           for s in sigmas}

    def block(d, g) -> None:
        found = sigma_matches_many(al.dt_frame[d], al.dt_xy[d], al.rank_of(d),
                                   gt.frame_index[g], gt.xy[g], sigmas)
        for s, (local, matched) in found.items():
            dt_matched, gt_matched = out[s]
            dt_matched[:, d] = local >= 0  # blocks write disjoint columns
            if heads:
                gt_matched[:, g] = matched

    blocks = _blocks(al.dt_frame, gt.frame_index, len(gt.frames))
    run_all(lambda b: block(*b), blocks, threads, "vscrowd-match")
    return out


def _once(fn: Callable[[Any], Any]) -> property:
    """A cached property computed once even when several families' threads ask for it
    at the same time (the others wait for the first; ``functools.cached_property`` has
    no such lock from Python 3.12)."""
    key = fn.__name__

    def get(self):
        if key not in self.__dict__:
            with self._lock_of(key):
                if key not in self.__dict__:
                    self.__dict__[key] = fn(self)
        return self.__dict__[key]

    get.__doc__ = fn.__doc__
    return property(get)


class Context:
    """One evaluation's shared work, each piece computed once, when first needed (the
    interface the families see: :class:`vscrowd.eval.families.base.Context`); safe to
    use from several threads (each family may run on its own, see ``core``).

    Attributes:
        gt: The ground truth.
        al: The predictions on its frames (:class:`Aligned`).
        options: The :class:`~vscrowd.eval.core.EvalOptions`.
        families: The selected families (registry order).
        scene_labels: SenseCrowd scene labels per video (VIC breakdowns), or None.
        source: The prediction file (named in errors), or None.
        step: Called with a short label after each stage.
        cancelled: Set when the evaluation is abandoned (Ctrl-C in the thread waiting
            for the families): a long family loop (bootstrap) checks it and stops, so
            the pool it runs in can close at once.
        block_threads: The threads a family's blocks run on: ``options.threads``, but
            1 when several costly families (``MetricFamily.cost``) run side by side on
            those threads -- pools inside pools oversubscribe the cores (all families
            of ``benchmarks/dense_eval_speed.py``: 2.30-2.53 s with the blocks in turn,
            2.64-3.26 s with both levels threaded, 2 cores, 2026-12-03).
    """

    # options: an EvalOptions; families, registry: MetricFamily objects. Not imported:
    # the core and the registry import this module.
    def __init__(self, gt: GroundTruth, al: Aligned, options: Any, families: Sequence[Any],
                 registry: Mapping[str, Any], *,
                 scene_labels: Mapping[str, Sequence[int] | None] | None = None,
                 source: str | None = None, step: Callable[[str], None] | None = None
                 ) -> None:
        self.gt, self.al, self.options = gt, al, options
        self.families = tuple(families)
        costly = sum(f.cost > 0 for f in self.families)
        self.block_threads = 1 if costly > 1 else options.threads
        self._registry = registry
        self.scene_labels, self.source = scene_labels, source
        step = step or (lambda _label: None)
        said = threading.Lock()

        def one_at_a_time(label: str) -> None:
            with said:  # progress callbacks (a terminal bar) are not thread-safe
                step(label)

        self.step = one_at_a_time
        self.cancelled = threading.Event()
        self._results: dict[str, Any] = {}
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}

    def _lock_of(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def result(self, name: str) -> Any:
        """Family ``name``'s result (computed now if no family asked for it before: a
        family may build on another that was not selected, as bootstrap on σ-AP)."""
        if name not in self._results:
            with self._lock_of(f"result:{name}"):
                if name not in self._results:
                    self._results[name] = self._registry[name].compute(self)
        return self._results[name]

    @_once
    def matches(self) -> dict[float, tuple[np.ndarray, np.ndarray | None]]:
        """The σ matching at every σ of the options (:func:`sigma_matches_blocked`),
        with the matched heads when a selected family reads them."""
        sigmas = self.options.sigmas
        if not sigmas:
            return {}
        heads = any(f.heads for f in self.families)
        return sigma_matches_blocked(self.gt, self.al, sigmas, heads, self.block_threads)

    @_once
    def frame_blocks(self) -> list[tuple[np.ndarray | slice, np.ndarray | slice]]:
        """``(prediction indices, ground-truth indices)`` of consecutive whole-frame
        ranges of about :data:`~vscrowd.eval.tuning.BLOCK_POINTS` points each: work per
        frame done block by block stays small (the σ matching's blocks)."""
        return _blocks(self.al.dt_frame, self.gt.frame_index, len(self.gt.frames))

    @_once
    def gt_counts(self) -> np.ndarray:
        return self.gt.counts()

    @_once
    def pred_counts(self) -> np.ndarray:
        """Points per frame with score >= the count threshold."""
        return self.al.dt.counts(min_score=self.options.count_threshold)

    @_once
    def video_of_frame(self) -> tuple[np.ndarray, pd.Index]:
        """``pd.factorize`` of each ground-truth frame's video."""
        return pd.factorize(self.gt.frames["video"].to_numpy(object))
