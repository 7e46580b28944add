"""The VSCrowd benchmark evaluator (no torch needed). See docs/metrics.md.

Names load on first use (see :mod:`vscrowd._lazy`).
"""

from .._lazy import lazy_exports

_EXPORTS = {
    "BoxThresholdResult": ".families.box",
    "COCO_THRESHOLDS": ".ap",
    "CountingResult": ".families.count",
    "DEFAULT_METRICS": ".families",
    "DEFAULT_SIGMAS": ".families",
    "DistanceAPResult": ".families.distance",
    "EvaluationResult": ".results",
    "GroundTruth": ".groundtruth",
    "IdreesResult": ".families.idrees",
    "LocalizationMetric": ".metric",
    "LocalizationResult": ".families.sigma",
    "METRICS": ".families",
    "Predictions": ".predictions",
    "RECALL_THRESHOLDS": ".ap",
    "SizeRecallResult": ".families.size",
    "evaluate": ".evaluate",
    "read_predictions": ".prediction_files",
    "write_predictions": ".prediction_files",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "BoxThresholdResult",
    "COCO_THRESHOLDS",
    "CountingResult",
    "DEFAULT_METRICS",
    "DEFAULT_SIGMAS",
    "DistanceAPResult",
    "EvaluationResult",
    "GroundTruth",
    "IdreesResult",
    "LocalizationMetric",
    "LocalizationResult",
    "METRICS",
    "Predictions",
    "RECALL_THRESHOLDS",
    "SizeRecallResult",
    "evaluate",
    "read_predictions",
    "write_predictions",
]
