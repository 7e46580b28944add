"""``DatasetInfo``: one registered dataset's published facts and the functions that
detect, read and synthesize it (the registry lists them: :mod:`.registry`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any, Literal

__all__ = ["DatasetInfo", "Kind"]

Kind = Literal["image", "video"]


@dataclass(frozen=True)
class DatasetInfo:
    """One registered dataset: published facts and the functions that handle it.

    Attributes:
        name: Registry name (``--dataset NAME``, ``--flavour NAME``).
        title: The dataset's own name.
        kind: ``image`` (single images) or ``video`` (frames of videos).
        images: Published number of images (frames).
        heads: Published number of annotated heads.
        splits: Published images per split.
        resolution: Frame size, or the range of image sizes, as published.
        paper_tables: The GNANet paper's tables that use it.
        source: Where the files are published.
        licence: The licence terms, in words.
        expects: The folder layout the reader recognises (shown when none matches).
        facts_source: Where the counts above are stated.
        detect: ``root -> bool``: the layout is there.
        read: ``root -> dataset``: the dataset object (``VSCrowd`` interface).
        synth: ``(out, seed) -> root``: a small copy in the native format, or None.
        matches: ``root -> bool`` when the name is given (default: ``detect``).
        top_level: Patterns (full match) of the names directly under the root: where
            the root begins inside a published archive (``download --from``).
        within: A pattern (full match, any case) of a folder an archive entry must pass
            through before the root begins (ShanghaiTech's ``part_A``), or None.
    """

    name: str
    title: str
    kind: Kind
    images: int
    heads: int
    splits: Mapping[str, int]
    resolution: str
    paper_tables: str
    source: str
    licence: str
    expects: str
    facts_source: str
    detect: Callable[[Path], bool] = field(repr=False)
    read: Callable[[Path], Any] = field(repr=False)
    synth: Callable[..., Path] | None = field(default=None, repr=False)
    matches: Callable[[Path], bool] | None = field(default=None, repr=False)
    top_level: tuple[str, ...] = field(default=(), repr=False)
    within: str | None = field(default=None, repr=False)

    def has_layout(self, root: Path) -> bool:
        """Whether ``root`` has this dataset's layout when the name is given (``matches``,
        looser than ``detect`` where two datasets share a layout, e.g. ShanghaiTech A/B)."""
        return (self.matches or self.detect)(root)

    def archive_path(self, name: str) -> str | None:
        """Where an archive entry ``name`` (POSIX path) belongs under the root: the path
        from its first folder (or file) that matches ``top_level`` on, after a folder
        matching ``within`` when that is set; None when it is not this dataset's (the
        archive's wrapper folders, e.g. ``UCF-QNRF_ECCV18/``, are dropped).

        >>> from vscrowd.datasets import dataset_info
        >>> dataset_info("qnrf").archive_path("UCF-QNRF_ECCV18/Train/img_0001.jpg")
        'Train/img_0001.jpg'
        >>> dataset_info("shanghaitech_b").archive_path("ShanghaiTech/part_A/test_data/x.mat")
        """
        parts = PurePosixPath(name).parts
        start = 0
        if self.within is not None:
            inside = [i for i, p in enumerate(parts[:-1])
                      if re.fullmatch(self.within, p, flags=re.IGNORECASE)]
            if not inside:
                return None
            start = inside[0] + 1
        for i in range(start, len(parts)):
            if any(re.fullmatch(pattern, parts[i]) for pattern in (*self.top_level,
                                                                   "synth.json")):
                return "/".join(parts[i:])
        return None

    def to_dict(self) -> dict[str, Any]:
        """The published facts (no functions), JSON-ready."""
        return {"name": self.name, "title": self.title, "kind": self.kind,
                "images": self.images, "heads": self.heads, "splits": dict(self.splits),
                "resolution": self.resolution, "paper_tables": self.paper_tables,
                "source": self.source, "licence": self.licence, "expects": self.expects,
                "facts_source": self.facts_source}
