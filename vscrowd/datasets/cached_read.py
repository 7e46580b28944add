"""Registered datasets read through the annotation cache (docs/datasets.md, "Cache").

A registered reader's tables (heads, frames, videos), the images it found missing and
the warnings it raised are stored with the machinery of :mod:`.cache`, keyed by the
stat records of *every* file under the root (annotations, split lists and images: the
frames table holds each image's size from its header, so a replaced image is a change
too). The cache folder itself is not part of the key, and it is the only thing ever
written: ``ROOT/.vscrowd-cache`` when the root is writable, else the user cache folder.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from ..errors import VSCrowdWarning
from .annotations import Annotations
from .cache import (
    CACHE_FOLDER,
    cache_key,
    default_cache_dir,
    read_entry,
    recording,
    replay,
    write_entry,
)
from .image_dataset import ImageDataset
from .info import DatasetInfo
from .video_dataset import VideoDataset

__all__ = ["dataset_files", "read_cached"]

_TABLES = ("heads", "frames", "videos")


def dataset_files(root: Path, cache_dir: Path) -> list[str]:
    """Every file under ``root`` (sorted paths), the cache folder left out. Linked
    folders are followed (a root often links ``images/`` or ``jsons/`` from elsewhere,
    and an edit there must be a change), each real folder once (no link loops)."""
    seen = {os.path.realpath(cache_dir), os.path.realpath(root)}
    out = []
    for folder, dirs, files in os.walk(root, followlinks=True):
        keep = []
        for d in dirs:
            real = os.path.realpath(os.path.join(folder, d))
            if d != CACHE_FOLDER and real not in seen:
                seen.add(real)
                keep.append(d)
        dirs[:] = keep
        out += [os.path.join(folder, f) for f in files]
    out.sort()
    return out


def read_cached(info: DatasetInfo, root: Path, *, cache: bool = True,
                cache_dir: str | Path | None = None):
    """``info.read(root)``, or the same dataset from the cache (its warnings replayed)."""
    if not cache:
        return info.read(root)
    cdir = Path(cache_dir) if cache_dir else default_cache_dir(root)
    key = cache_key(dataset_files(root, cdir), strict=False, tag=f"registry:{info.name}",
                    root=root)
    hit = read_entry(cdir, key, _TABLES)
    if hit is not None:
        tables, meta = hit
        cls = VideoDataset if info.kind == "video" else ImageDataset
        with warnings.catch_warnings():  # recorded with the reader's own: replayed below
            warnings.simplefilter("ignore", VSCrowdWarning)
            ds = cls.from_tables(root, info.name,
                                 Annotations(tables["heads"], tables["frames"]),
                                 tables["videos"], [tuple(m) for m in meta["missing"]])
        replay(meta["warnings"])
        return ds
    ds, warns = recording(lambda: info.read(root))
    write_entry(cdir, key, {"heads": ds.heads, "frames": ds.frames, "videos": ds.videos},
                {"warnings": warns, "missing": [list(m) for m in ds.missing_images]})
    return ds
