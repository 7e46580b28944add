"""The metric families and default σ of the evaluator (a light module: the CLI reads
them to build its options without loading the evaluator)."""

from __future__ import annotations

from typing import Literal

__all__ = ["DEFAULT_METRICS", "DEFAULT_SIGMAS", "METRICS", "Metric"]

Metric = Literal["sigma", "count", "box", "distance", "idrees", "size", "video", "track"]
#: Every selectable metric family (``--metric``). ``track`` (tracking and video
#: individual counting) needs predictions with track IDs.
METRICS: tuple[Metric, ...] = ("sigma", "count", "box", "distance", "idrees", "size", "video",
                               "track")
DEFAULT_METRICS: tuple[Metric, ...] = ("sigma", "count")
DEFAULT_SIGMAS: tuple[float, ...] = (5.0, 20.0, 40.0)
