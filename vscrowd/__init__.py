"""vscrowd: toolkit and benchmark evaluator for the VSCrowd crowd-localization dataset.

Core (no torch): :class:`VSCrowd` datasets, annotation I/O, the synthetic generator,
:mod:`vscrowd.eval`, :mod:`vscrowd.stats` and :mod:`vscrowd.plots`. With the
``torch`` extra: :mod:`vscrowd.data`, :mod:`vscrowd.models`, :mod:`vscrowd.train`.
"""

from typing import TYPE_CHECKING

from ._lazy import lazy_exports
from ._version import __version__

_EXPORTS = {
    "AnnotationFormatError": ".errors", "CheckpointError": ".errors",
    "ConfigError": ".errors", "DatasetError": ".errors",
    "MissingDependencyError": ".errors", "OutputError": ".errors",
    "PredictionFormatError": ".errors", "VSCrowdError": ".errors",
    "VSCrowdWarning": ".errors",
    "Annotations": ".annotations", "FrameAnnotation": ".annotations",
    "parse_annotations": ".annotations", "read_annotations": ".annotations",
    "write_annotations": ".annotations",
    "VSCrowd": ".dataset", "open_dataset": ".dataset",
    "FrameResolver": ".frameids", "Points": ".points",
    "read_sensecrowd_labels": ".sensecrowd",
    "synthesize": ".synth",
    "open": ".datasets.registry", "dataset_names": ".datasets.registry",
}
# Names load on first use, so `import vscrowd` pulls in neither pandas nor OpenCV.
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from .annotations import (
        Annotations,
        FrameAnnotation,
        parse_annotations,
        read_annotations,
        write_annotations,
    )
    from .dataset import VSCrowd, open_dataset
    from .datasets.registry import dataset_names, open
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
    from .frameids import FrameResolver
    from .points import Points
    from .sensecrowd import read_sensecrowd_labels
    from .synth import synthesize

__all__ = [
    "AnnotationFormatError",
    "Annotations",
    "CheckpointError",
    "ConfigError",
    "DatasetError",
    "FrameAnnotation",
    "FrameResolver",
    "MissingDependencyError",
    "OutputError",
    "Points",
    "PredictionFormatError",
    "VSCrowd",
    "VSCrowdError",
    "VSCrowdWarning",
    "__version__",
    "dataset_names",
    "open",
    "open_dataset",
    "parse_annotations",
    "read_annotations",
    "read_sensecrowd_labels",
    "synthesize",
    "write_annotations",
]
