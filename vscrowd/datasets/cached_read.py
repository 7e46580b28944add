"""Registered datasets read through the annotation cache (docs/datasets.md, "Cache").

A registered reader's tables (heads, frames, videos), the images it found missing and
the warnings it raised are stored with the machinery of :mod:`.cache`, keyed by the
stat records of every file under the root but the images (annotations, split lists,
anything else), and by the images' names. Of an image a reader only ever reads the
header, for its size (:func:`.layout.image_size`): the images whose header it read are
recorded with the entry by their stat records and checked on a hit (a replaced image
is a miss), the others count by name (present or not). A video dataset reads one header
per video, not one per frame: FDST's 15,000 frame images are listed, not stat'ed. The
cache folder itself is not part of the key, and it is the only thing ever written:
``ROOT/.vscrowd-cache`` when the root is writable, else the user cache folder.
"""

from __future__ import annotations

import os
import time
import warnings
from pathlib import Path

from ..errors import VSCrowdWarning
from .annotations import Annotations
from .cache import (
    CACHE_FOLDER,
    cache_key,
    default_cache_dir,
    racy_after,
    read_entry,
    recording,
    replay,
    write_entry,
)
from .image_dataset import ImageDataset
from .info import DatasetInfo
from .layout import IMAGE_SUFFIXES, header_reads
from .video_dataset import VideoDataset

__all__ = ["dataset_files", "read_cached"]

_TABLES = ("heads", "frames", "videos")
#: Files only ever opened for their header: images, by suffix in lower or upper case.
_IMAGE_SUFFIXES = (*IMAGE_SUFFIXES, *(s.upper() for s in IMAGE_SUFFIXES))


def dataset_files(root: Path, cache_dir: Path) -> tuple[list[str], list[str]]:
    """Everything under ``root`` (sorted paths), the root's cache folder left out, as
    the files keyed by their stat record and the entries keyed by their name: images
    (plain files with an image suffix; a link to an image is keyed by its stat record:
    whether it resolves is part of what a reader sees) and folders, written with a
    trailing separator (an empty folder named like a file a reader globs for is part of
    what it sees too). Linked folders are followed (a root often links ``images/`` or
    ``jsons/`` from elsewhere, and an edit there must be a change), each real folder
    once (no link loops)."""
    # One scandir per folder, its entries' kinds from the listing itself: no call per
    # file (FDST's root holds 30,000), one stat per folder to know it by identity.
    top = os.fspath(root)
    seen = {_identity(cache_dir), _identity(root)}
    keyed, named, folders = [], [], [top]
    while folders:
        here = folders.pop()
        try:
            entries = os.scandir(here)
        except OSError:  # an unreadable folder is skipped, as os.walk does
            continue
        with entries:
            for e in entries:
                if not _is_folder(e):
                    # Case-sensitive: an image spelt otherwise (.Jpg) is keyed by its
                    # stat record, as any other file (stricter, never staler).
                    plain_image = e.name.endswith(_IMAGE_SUFFIXES) and not e.is_symlink()
                    (named if plain_image else keyed).append(e.path)
                elif e.name != CACHE_FOLDER or here != top:
                    named.append(e.path + os.sep)
                    if (ident := _identity(e.path)) not in seen:
                        seen.add(ident)
                        folders.append(e.path)
    keyed.sort()
    named.sort()
    return keyed, named


def _is_folder(entry: os.DirEntry) -> bool:
    """Whether ``entry`` is a folder or a link to one; a link that cannot be followed
    (a loop) counts as a file, whose stat then fails with its name."""
    try:
        return entry.is_dir()
    except OSError:
        return False


def _identity(path: str | os.PathLike) -> tuple[int, int] | None:
    """A folder's device and inode (one real folder however it is reached), None when
    it does not exist."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def read_cached(info: DatasetInfo, root: Path, *, cache: bool = True,
                cache_dir: str | Path | None = None):
    """``info.read(root)``, or the same dataset from the cache (its warnings replayed)."""
    if not cache:
        return info.read(root)
    cdir = Path(cache_dir) if cache_dir else default_cache_dir(root)
    key = _key(info, root, cdir)
    hit = read_entry(cdir, key, _TABLES)
    if hit is not None and _usable(root, hit[1]):
        tables, meta = hit
        cls = VideoDataset if info.kind == "video" else ImageDataset
        with warnings.catch_warnings():  # recorded with the reader's own: replayed below
            warnings.simplefilter("ignore", VSCrowdWarning)
            ds = cls.from_tables(root, info.name,
                                 Annotations(tables["heads"], tables["frames"]),
                                 tables["videos"], [tuple(m) for m in meta["missing"]])
        replay(meta["warnings"])
        return ds
    start = time.time_ns()
    with header_reads() as read:
        ds, warns = recording(lambda: info.read(root))
    headers = _header_records(root, read, start)
    # No entry when an image changed while read, or a file came or went (the key
    # before the read would name tables of another state of the root).
    if headers is not None and _key(info, root, cdir) == key:
        write_entry(cdir, key, {"heads": ds.heads, "frames": ds.frames,
                                "videos": ds.videos},
                    {"warnings": warns, "missing": [list(m) for m in ds.missing_images],
                     "headers": headers})
    return ds


def _key(info: DatasetInfo, root: Path, cache_dir: Path) -> str:
    keyed, named = dataset_files(root, cache_dir)
    return cache_key(keyed, strict=False, tag=f"registry:{info.name}", root=root,
                     listed=named)


def _stat_record(path: str) -> list[int]:
    st = os.stat(path)
    return [st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino]


def _header_records(root: Path, paths: list[str], start_ns: int) -> list[list] | None:
    """``[name under root, size, mtime, ctime, inode]`` of each image whose header the
    reader read (one that does not exist is left to the names in the key), or None
    when one changed from (about) the time the read began: the tables may hold a size
    from before the change and the record one from after."""
    prefix = os.path.join(os.fspath(root), "")
    since = racy_after(start_ns)
    out = []
    for path in dict.fromkeys(paths):
        try:
            rec = _stat_record(path)
        except OSError:
            continue
        if max(rec[1], rec[2]) >= since:
            return None
        out.append([path[len(prefix):] if path.startswith(prefix) else path, *rec])
    return out


def _usable(root: Path, meta: dict) -> bool:
    """Whether an entry's metadata is as written here and its images unchanged."""
    return isinstance(meta.get("missing"), list) and isinstance(meta.get("warnings"), list) \
        and _same_records(root, meta.get("headers"))


def _same_records(root: Path, records: object) -> bool:
    """Whether every image in ``records`` still has the stat record it had when read
    (an entry whose records are not ``[name, size, mtime, ctime, inode]`` lists: no)."""
    if not isinstance(records, list) or not all(
            isinstance(r, list) and len(r) == 5 and isinstance(r[0], str)
            and all(type(v) is int for v in r[1:]) for r in records):
        return False
    try:
        return all(_stat_record(os.path.join(root, name)) == rec for name, *rec in records)
    except OSError:
        return False
