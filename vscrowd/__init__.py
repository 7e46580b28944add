"""vscrowd: toolkit and benchmark evaluator for the VSCrowd crowd-localization dataset.

The parts, one folder each (docs/contributing.md draws the map):

- core types at the top: :class:`Points` (heads in frames), :class:`FrameResolver`,
  the exception types (:mod:`vscrowd.errors`);
- :mod:`vscrowd.datasets`: file formats, folder layouts, splits, caches and the dataset
  objects (:class:`VSCrowd`);
- :mod:`vscrowd.acquire`: download, assembly from archives, verification;
- :mod:`vscrowd.synth`: seeded synthetic datasets in the official layouts;
- :mod:`vscrowd.eval`: the benchmark evaluator;
- :mod:`vscrowd.methods`: training-free reference methods (blob detector, tracker);
- :mod:`vscrowd.viz`: statistics tables, plots and overlays;
- with the ``torch`` extra: :mod:`vscrowd.data`, :mod:`vscrowd.models`, :mod:`vscrowd.train`.

Modules that lived at the top in 0.1.0 keep importing under their old names for one
release, with a ``DeprecationWarning`` (:mod:`vscrowd._moved`).
"""

from typing import TYPE_CHECKING

from ._lazy import lazy_exports
from ._moved import install_moved_modules
from ._version import __version__

install_moved_modules()

_EXPORTS = {
    "AnnotationFormatError": ".errors", "CheckpointError": ".errors",
    "ConfigError": ".errors", "DatasetError": ".errors",
    "MissingDependencyError": ".errors", "MissingImagesWarning": ".errors",
    "OutputError": ".errors",
    "PredictionFormatError": ".errors", "VSCrowdError": ".errors",
    "VSCrowdWarning": ".errors",
    "Annotations": ".datasets.annotations", "FrameAnnotation": ".datasets.annotations",
    "parse_annotations": ".datasets.annotations", "read_annotations": ".datasets.annotations",
    "write_annotations": ".datasets.annotations",
    "VSCrowd": ".datasets.vscrowd", "open_dataset": ".datasets.vscrowd",
    "FrameResolver": ".frameids", "Points": ".points",
    "read_sensecrowd_labels": ".datasets.sensecrowd",
    "synthesize": ".synth.generator",
    "open": ".datasets.registry", "dataset_names": ".datasets.registry",
}
# Names load on first use, so `import vscrowd` pulls in neither pandas nor OpenCV.
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs
    from .datasets.annotations import (
        Annotations,
        FrameAnnotation,
        parse_annotations,
        read_annotations,
        write_annotations,
    )
    from .datasets.registry import dataset_names, open
    from .datasets.sensecrowd import read_sensecrowd_labels
    from .datasets.vscrowd import VSCrowd, open_dataset
    from .errors import (
        AnnotationFormatError,
        CheckpointError,
        ConfigError,
        DatasetError,
        MissingDependencyError,
        MissingImagesWarning,
        OutputError,
        PredictionFormatError,
        VSCrowdError,
        VSCrowdWarning,
    )
    from .frameids import FrameResolver
    from .points import Points
    from .synth.generator import synthesize

__all__ = [
    "AnnotationFormatError",
    "Annotations",
    "CheckpointError",
    "ConfigError",
    "DatasetError",
    "FrameAnnotation",
    "FrameResolver",
    "MissingDependencyError",
    "MissingImagesWarning",
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
