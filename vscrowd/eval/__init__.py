"""The VSCrowd benchmark evaluator (no torch needed). See docs/metrics.md."""

from .ap import COCO_THRESHOLDS, RECALL_THRESHOLDS
from .evaluate import DEFAULT_METRICS, DEFAULT_SIGMAS, METRICS, evaluate
from .groundtruth import GroundTruth
from .metric import LocalizationMetric
from .predictions import Predictions, read_predictions, write_predictions
from .results import (
    BoxThresholdResult,
    CountingResult,
    DistanceAPResult,
    EvaluationResult,
    IdreesResult,
    LocalizationResult,
    SizeRecallResult,
)

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
