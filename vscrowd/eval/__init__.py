"""The VSCrowd benchmark evaluator (no torch needed). See docs/metrics.md.

Names load on first use (see :mod:`vscrowd._lazy`).
"""

from .._lazy import lazy_exports

_EXPORTS = {
    "BoxThresholdResult": ".family_results",
    "COCO_THRESHOLDS": ".ap",
    "CountingResult": ".family_results",
    "DEFAULT_METRICS": ".families",
    "DEFAULT_SIGMAS": ".families",
    "DistanceAPResult": ".family_results",
    "EvaluationResult": ".results",
    "GroundTruth": ".groundtruth",
    "IdreesResult": ".family_results",
    "LocalizationMetric": ".metric",
    "LocalizationResult": ".family_results",
    "METRICS": ".families",
    "Predictions": ".predictions",
    "RECALL_THRESHOLDS": ".ap",
    "SizeRecallResult": ".family_results",
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
