"""vscrowd: toolkit and benchmark evaluator for the VSCrowd crowd-localization dataset.

Core (no torch): :class:`VSCrowd` datasets, annotation I/O, the synthetic generator,
:mod:`vscrowd.eval`, :mod:`vscrowd.stats` and :mod:`vscrowd.plots`. With the
``torch`` extra: :mod:`vscrowd.data`, :mod:`vscrowd.models`, :mod:`vscrowd.train`.
"""

from ._version import __version__
from .annotations import (
    Annotations,
    FrameAnnotation,
    parse_annotations,
    read_annotations,
    write_annotations,
)
from .dataset import VSCrowd, open_dataset
from .errors import (
    AnnotationFormatError,
    CheckpointError,
    ConfigError,
    DatasetError,
    MissingDependencyError,
    OutputError,
    PredictionFormatError,
    VSCrowdError,
    VSCrowdWarning,
)
from .sensecrowd import read_sensecrowd_labels


def __getattr__(name: str):
    # The generator needs OpenCV; importing it lazily keeps `import vscrowd.eval` (the
    # evaluator path) free of OpenCV's start-up cost.
    if name == "synthesize":
        from .synth import synthesize

        return synthesize
    raise AttributeError(f"module 'vscrowd' has no attribute {name!r}")

__all__ = [
    "AnnotationFormatError",
    "Annotations",
    "CheckpointError",
    "ConfigError",
    "DatasetError",
    "FrameAnnotation",
    "MissingDependencyError",
    "OutputError",
    "PredictionFormatError",
    "VSCrowd",
    "VSCrowdError",
    "VSCrowdWarning",
    "__version__",
    "open_dataset",
    "parse_annotations",
    "read_annotations",
    "read_sensecrowd_labels",
    "synthesize",
    "write_annotations",
]
