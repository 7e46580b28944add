"""The metric families: one module each, listed once here (the registry). The
evaluator, ``EvaluationResult`` (JSON and text) and ``vscrowd eval --metric`` loop over
:data:`FAMILIES`; adding a family is one module that builds a
:class:`~vscrowd.eval.families.base.MetricFamily` named ``FAMILY``, one line in
``_MODULES``, its test and its section in docs/metrics.md (docs/contributing.md shows
the diff)."""

from __future__ import annotations

from importlib import import_module

from .base import MetricFamily

__all__ = ["DEFAULT_METRICS", "DEFAULT_SIGMAS", "FAMILIES", "METRICS", "Metric", "MetricFamily",
           "family"]

# Output order (JSON keys and text sections follow it).
_MODULES = ("sigma", "count", "box", "distance", "idrees", "track", "size", "video",
            "bootstrap")

#: Every registered family by name, in output order.
FAMILIES: dict[str, MetricFamily] = {
    f.name: f for f in (import_module(f"{__name__}.{m}").FAMILY for m in _MODULES)}

#: A ``--metric`` value: the name of a selectable family.
Metric = str
#: Every selectable metric family (``--metric``). ``track`` (tracking and video
#: individual counting) needs predictions with track IDs.
METRICS: tuple[Metric, ...] = tuple(n for n, f in FAMILIES.items() if f.selectable)
DEFAULT_METRICS: tuple[Metric, ...] = ("sigma", "count")
DEFAULT_SIGMAS: tuple[float, ...] = (5.0, 20.0, 40.0)


def family(name: str) -> MetricFamily:
    """The registered family ``name`` (KeyError listing the registered names)."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise KeyError(f"expected a metric family in {list(FAMILIES)}, got {name!r}") from None
