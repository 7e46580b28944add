"""``MetricFamily``: what one metric family declares (its module in this package builds
one and the registry, :mod:`vscrowd.eval.families`, lists it)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

if TYPE_CHECKING:  # annotations only: `vscrowd --help` imports the registry
    from ..groundtruth import GroundTruth

__all__ = ["Context", "MetricFamily"]

#: ``EvalOptions`` (vscrowd.eval.core), named here without importing it: the core
#: imports the registry, so the families must not import the core.
EvalOptions = Any


class Context(Protocol):
    """What a family's ``compute`` reads: one evaluation's shared work, each piece
    computed once (implemented by :class:`vscrowd.eval.context.Context`)."""

    gt: GroundTruth
    al: Any  # vscrowd.eval.context.Aligned: the predictions on gt's frames
    options: EvalOptions
    scene_labels: Mapping[str, Sequence[int] | None] | None
    source: str | None
    matches: dict[float, tuple[np.ndarray, np.ndarray | None]]
    gt_counts: np.ndarray
    pred_counts: np.ndarray
    video_of_frame: tuple[np.ndarray, Any]
    frame_blocks: list[tuple[np.ndarray | slice, np.ndarray | slice]]
    block_threads: int
    cancelled: threading.Event  # set when the evaluation is abandoned (Ctrl-C)

    def step(self, label: str) -> None: ...

    def result(self, name: str) -> Any: ...


@dataclass(frozen=True)
class MetricFamily:
    """One metric family: how it is computed, stored and printed.

    Attributes:
        name: The ``--metric`` value and the family's key in ``EvaluationResult.results``.
        summary: One line for ``vscrowd eval --help`` and docs/metrics.md.
        compute: ``Context -> result``: the family's result (its own frozen dataclass,
            or a tuple of them).
        to_dict: ``result -> dict``: the family's entries of the JSON output (keys in
            docs/metrics.md).
        lines: ``(result, fmt) -> list[str]``: its lines of the text output (``fmt``:
            ``table`` or ``markdown``).
        options: The :class:`~vscrowd.eval.core.EvalOptions` fields it reads.
        heads: It reads which heads the σ matching took (``Context.matches``).
        selected: ``EvalOptions -> bool``: whether an evaluation computes it (default:
            its name is in ``options.metrics``).
        headline: Its JSON entries come before ``frames``/``gt_points``/``pred_points``.
        cost: A scheduling hint: seconds one thread spends on it in
            ``benchmarks/dense_eval_speed.py``. Families running side by side start
            costliest first, so the longest does not start last (0: after those, in
            registry order).
    """

    name: str
    summary: str
    compute: Callable[[Context], Any]
    to_dict: Callable[[Any], dict[str, Any]]
    lines: Callable[[Any, str], list[str]]
    options: tuple[str, ...] = ()
    heads: bool = False
    selected: Callable[[EvalOptions], bool] | None = None
    headline: bool = False
    cost: float = 0.0

    @property
    def selectable(self) -> bool:
        """Offered by ``--metric`` (families with their own ``selected`` rule are not:
        bootstrap follows ``--bootstrap N``)."""
        return self.selected is None

    def is_selected(self, options: EvalOptions) -> bool:
        return (self.name in options.metrics if self.selected is None
                else self.selected(options))
