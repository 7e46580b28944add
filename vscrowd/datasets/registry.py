"""The dataset registry: every dataset of the paper's experiments by name, with its
published facts, how to recognise its folder layout, how to read it, and how to write
a small synthetic copy in its own format (``vscrowd synth --flavour NAME``).

``open(root, dataset=None)`` (also ``vscrowd.open``) detects the dataset
from the folder layout, or takes the name; a folder that matches no layout is one error
that names what each registered dataset expects. See docs/datasets.md.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import DatasetError
from .info import DatasetInfo

__all__ = ["DatasetInfo", "dataset_info", "dataset_names", "detect", "is_other_layout", "open",
           "registered"]

def registered() -> tuple[DatasetInfo, ...]:
    """Every registered dataset, in the order detection tries them."""
    from . import (
        dronecrowd,
        fdst,
        jhu,
        mall,
        nwpu,
        qnrf,
        sensecrowd_info,
        shanghaitech,
        ucsd,
        venice,
        vscrowd_info,
    )

    return (vscrowd_info.INFO, sensecrowd_info.INFO, nwpu.INFO, shanghaitech.INFO_A,
            shanghaitech.INFO_B, qnrf.INFO, jhu.INFO, fdst.INFO, venice.INFO, dronecrowd.INFO,
            mall.INFO, ucsd.INFO)


def dataset_names() -> list[str]:
    """The registered names, sorted."""
    return sorted(i.name for i in registered())


def dataset_info(name: str) -> DatasetInfo:
    """The registry entry of ``name``.

    Raises:
        DatasetError: an unknown name (lists the registered ones).
    """
    for info in registered():
        if info.name == name:
            return info
    raise DatasetError(f"expected a dataset in {dataset_names()}, got {name!r}")


def detect(root: str | Path) -> DatasetInfo:
    """The dataset whose folder layout ``root`` has.

    Raises:
        DatasetError: no layout matches (names what each dataset expects), or several
            do (pass ``dataset=``).
    """
    root = Path(root)
    if not root.is_dir():
        raise DatasetError(f"{root}: no such folder")
    found = [i for i in registered() if i.detect(root)]
    if len(found) == 1:
        return found[0]
    if found:
        raise DatasetError(f"{root} matches the layouts of {[i.name for i in found]}; "
                           "pass --dataset NAME")
    # One line (the CLI prints one line per error): each dataset and what it expects.
    expected = "; ".join(f"{i.name}: {i.expects}" for i in registered())
    raise DatasetError(f"{root} matches no known dataset layout; expected one of: {expected}")


def is_other_layout(root: str | Path, dataset: str | None = None) -> bool:
    """Whether ``root`` is opened through the registry rather than as a VSCrowd root: a
    dataset name other than ``vscrowd`` is given, or none is and the folder has no
    ``annotations/`` of VSCrowd's (``<video>.txt``; DroneCrowd's holds ``<seq>.mat``)
    (the one place commands make this choice)."""
    if dataset is not None:
        return dataset != "vscrowd"
    root = Path(root)
    folder = root / "annotations"
    if not folder.is_dir():
        return root.is_dir()
    return (next(folder.glob("*.txt"), None) is None
            and next(folder.glob("*.mat"), None) is not None)


def open(root: str | Path, dataset: str | None = None, *, cache: bool = True,
         cache_dir: str | Path | None = None):
    """Open a dataset root in its own published format.

    Args:
        root: The dataset root (as unpacked from its archives).
        dataset: A registered name; None detects it from the layout.
        cache: Read (and write) the annotation cache: ``ROOT/.vscrowd-cache``, or the
            user cache folder when the root is read-only (see docs/datasets.md).
        cache_dir: Another cache folder.

    Returns:
        A :class:`~vscrowd.VSCrowd` (VSCrowd) or an
        :class:`~vscrowd.datasets.image_dataset.ImageDataset`: the same interface.

    Raises:
        DatasetError: unknown name, no or several matching layouts.
    """
    info = detect(root) if dataset is None else dataset_info(dataset)
    if dataset is not None and not info.has_layout(Path(root)):
        raise DatasetError(f"{root} does not have the {info.name} layout; expected "
                           f"{info.expects}")
    if info.name == "vscrowd":  # VSCrowd keys its own cache on its annotation files
        from .vscrowd import VSCrowd

        return VSCrowd(root, cache=cache, cache_dir=cache_dir)
    from .cached_read import read_cached

    return read_cached(info, Path(root), cache=cache, cache_dir=cache_dir)
