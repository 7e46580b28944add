"""The evaluation core: ``score(gt, dt, options)`` computes every selected metric
family from point sets already on one frame table (``evaluate`` reads and aligns files
first; ``LocalizationMetric`` builds the point sets itself). The families are the
registry's (:mod:`vscrowd.eval.families`); what they share -- the σ matching, run in
blocks of whole frames -- is computed once (:class:`~vscrowd.eval.context.Context`).
``options.threads`` threads run the selected families side by side, or one costly
family's blocks when it is the only one (``Context.block_threads``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ConfigError
from ..points import Points
from . import tuning
from .context import Aligned, Context, aligned
from .families import DEFAULT_METRICS, DEFAULT_SIGMAS, FAMILIES, METRICS, Metric
from .families.distance import DEFAULT_RADII
from .groundtruth import GroundTruth
from .predictions import MAX_COORDINATE
from .results import EvaluationResult

__all__ = ["EvalOptions", "score", "start_order"]


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
        # Past MAX_COORDINATE a sigma matches any pair already (and its square
        # overflowed: 1e300 was an internal error).
        for name, values in (("sigma", self.sigmas), ("track sigma", (self.track_sigma,))):
            for s in values:
                if not 0 < s <= MAX_COORDINATE:
                    raise ConfigError(f"expected a {name} > 0 and <= {MAX_COORDINATE:g} "
                                      f"px, got {s}")
        if self.seed < 0:
            raise ConfigError(f"expected a bootstrap seed >= 0, got {self.seed}")
        if not np.isfinite(self.count_threshold):
            raise ConfigError(f"expected a finite count threshold, got {self.count_threshold}")
        for m in self.metrics:  # the registry itself: a family added to it is known
            if m not in FAMILIES or not FAMILIES[m].selectable:
                raise ConfigError(f"expected metric in {list(METRICS)}, got {m!r}")
        if self.bootstrap < 0:
            raise ConfigError(f"expected bootstrap >= 0, got {self.bootstrap}")
        return self


def score(gt: GroundTruth, dt: Points, options: EvalOptions = EvalOptions(), *,
          missing_frames: int = 0, scene_labels: Mapping[str, Sequence[int] | None]
          | None = None, source: str | None = None,
          progress: Callable[[str], None] | None = None) -> EvaluationResult:
    """The evaluation core: every selected family on arrays, no files, no names.

    ``dt`` are the predictions on ``gt``'s frame table (``dt.frame_index`` rows of
    ``gt.frames``; ``score`` required, ``track_id`` for "track").
    """
    # NumPy's sort releases the GIL: for large inputs the one global step (the pooled
    # score sort) runs on another core while the block-wise matching runs here; the
    # thread ends with the call. Same result either way.
    if options.threads <= 1:
        return _score(gt, aligned(dt), options, missing_frames, scene_labels, source,
                      progress)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="vscrowd-sort") as pool:
        return _score(gt, aligned(dt, pool), options, missing_frames, scene_labels,
                      source, progress)


def _score(gt: GroundTruth, al: Aligned, o: EvalOptions, missing_frames: int,
           scene_labels, source, progress) -> EvaluationResult:
    selected = [f for f in FAMILIES.values() if f.is_selected(o)]
    ctx = Context(gt, al, o, selected, FAMILIES, scene_labels=scene_labels, source=source,
                  step=progress)
    results = _results(ctx, selected, o.threads)
    notes = {k: v for k, v in (("missing_frames", missing_frames),
                               ("points_outside_image", al.out_of_image)) if v}
    return EvaluationResult(frames=len(gt.frames), gt_points=len(gt), pred_points=len(al.dt),
                            results=results, notes=notes)


def _results(ctx: Context, selected: list, threads: int) -> dict:
    """Each selected family's result, in registry order. With ``threads > 1`` the
    families run side by side (NumPy and SciPy release the GIL in their long loops:
    on 2 cores all families of the dense benchmark take ~0.6x the time); what they
    share is computed once (``Context``), and the results are the same either way."""
    if threads <= 1 or len(selected) <= 1:
        return {f.name: ctx.result(f.name) for f in selected}
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="vscrowd-family") as pool:
        futures = {f.name: pool.submit(ctx.result, f.name) for f in start_order(selected)}
        try:
            return {f.name: futures[f.name].result() for f in selected}
        except BaseException:
            # Ctrl-C lands here, in the waiting thread; the pool's exit then waits for
            # the families still running: they stop at their next check of this.
            ctx.cancelled.set()
            for f in futures.values():
                f.cancel()
            raise


def start_order(selected: Sequence[Any]) -> list[Any]:
    """The families in the order they start side by side: costliest first (registry
    order among equals), so that the longest does not start when the others are done."""
    return sorted(selected, key=lambda f: -f.cost)
