"""Every dataset of the paper's experiments, read in its own published format
(docs/datasets.md). ``open_dataset`` (``vscrowd.open``) detects a root's layout.

Names load on first use (see :mod:`vscrowd._lazy`).
"""

from .._lazy import lazy_exports

_EXPORTS = {
    "DatasetInfo": ".info",
    "ImageDataset": ".image_dataset",
    "ImageRecord": ".image_dataset",
    "dataset_info": ".registry",
    "dataset_names": ".registry",
    "detect": ".registry",
    "open_dataset": ".registry",
    "registered": ".registry",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "DatasetInfo",
    "ImageDataset",
    "ImageRecord",
    "dataset_info",
    "dataset_names",
    "detect",
    "open_dataset",
    "registered",
]
