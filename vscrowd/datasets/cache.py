"""Parquet cache of parsed annotations, keyed by the annotation files' stat records.

The key covers each file's name, size, modification *and* status-change time and inode
(as git's index does): ``cp -p``, ``tar``, ``rsync -t`` and editors that keep the mtime
still give the file a new ctime or inode, so a same-size edit is never served stale.
Files changed within the last few seconds (where a coarse-clock file system could hide
a second edit) are "racy": their *content* is hashed into the key as well, so an entry
written then never matches a later state of the file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import stat
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TypeVar

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import AnnotationFormatError, VSCrowdWarning
from .annotations import Annotations, read_many

__all__ = ["cache_key", "default_cache_dir", "load_annotations", "load_cached", "racy_after",
           "read_entry", "recording", "replay", "store_cached", "write_entry"]

T = TypeVar("T")

logger = logging.getLogger(__name__)
#: Bumped whenever the parser's output changes, so stale caches are never read.
_CACHE_FORMAT = 5  # 4: frames carry their split; 5: NWPU-Crowd labels by name
CACHE_FOLDER = ".vscrowd-cache"
_RACY_SECONDS = 3.0


def default_cache_dir(root: Path) -> Path:
    """``ROOT/.vscrowd-cache`` if the root is writable, else the user cache folder."""
    if os.access(root, os.W_OK):
        return root / CACHE_FOLDER
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    digest = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:16]
    return base / "vscrowd" / digest


def racy_after(start_ns: int | None = None) -> int:
    """The time (ns since the epoch) from which a file's mtime or ctime is too recent to
    trust its stat record (``_RACY_SECONDS`` before ``start_ns``, default now): a
    second edit within a coarse clock tick would leave the record as it was."""
    return (time.time_ns() if start_ns is None else start_ns) - int(_RACY_SECONDS * 1e9)


def cache_key(files: Sequence[str | os.PathLike], *, strict: bool, tag: str = "",
              root: Path | None = None, listed: Sequence[str] = ()) -> str:
    """A digest of the annotation files' stat records (and the content of recently
    changed ones; see the module docstring). ``tag`` names what is cached (a registered
    dataset's reader), so two readers of one folder never share an entry; with ``root``,
    each file is named by its path under it (a file moved between folders is a change).
    ``listed``: files that count by their name (under ``root``) alone.

    Raises:
        AnnotationFormatError: A file that cannot be stat'ed (a broken or looping link).
    """
    h = hashlib.sha1(f"v{_CACHE_FORMAT}:{strict}:{tag}".encode())
    since = racy_after()
    # Plain strings and os.stat: a whole image dataset (tens of thousands of files)
    # is keyed in well under the cache-hit budget.
    skip = len(os.fspath(root)) + 1 if root is not None else None
    records = []  # hashed in one update: a per-file update cost as much as the stat
    for f in files:
        path = os.fspath(f)
        try:
            st = os.stat(path)
            name = path[skip:] if skip else os.path.basename(path)
            records.append(f"{name}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0"
                           f"{st.st_ino}\n")
            # (A recent FIFO or device is not read: it would block or never end; the
            # reader names it.)
            if max(st.st_mtime_ns, st.st_ctime_ns) >= since and stat.S_ISREG(st.st_mode):
                records.append(hashlib.sha1(Path(path).read_bytes()).hexdigest())
        except OSError as exc:
            raise AnnotationFormatError(f"cannot read file ({exc.strerror or exc}; a broken "
                                        "or looping link?)", path=Path(path)) from None
    records += ["\0listed\n", *(f"{os.fspath(f)[skip:]}\n" for f in listed)]
    h.update("".join(records).encode("utf-8", "surrogateescape"))
    return h.hexdigest()


def read_entry(cache_dir: Path, key: str, names: Sequence[str]
               ) -> tuple[dict[str, pd.DataFrame], dict] | None:
    """The tables ``names`` and the JSON metadata of entry ``key``, or None."""
    entry = cache_dir / key
    try:
        # self_destruct frees each Arrow column once converted, split_blocks keeps one
        # block per column (no consolidating copy of the float columns): a lower peak
        # and less fresh memory to fault in (a 1.46 M-head table: 0.04-0.05 s against
        # 0.04-0.16 s read again in one process).
        tables = {n: pq.read_table(entry / f"{n}.parquet").to_pandas(
                      self_destruct=True, split_blocks=True) for n in names}
        meta = json.loads((entry / "meta.json").read_text())
        # Object columns come back as they went in, not as the string dtype newer
        # pandas infers for Arrow strings.
        for name, cols in meta.pop("object_columns", {}).items():
            for c in cols:
                tables[name][c] = tables[name][c].astype(object)
    except (OSError, pa.ArrowException, ValueError, AttributeError, KeyError, TypeError):
        return None  # not an entry as written here (damaged): read again, rewritten
    return tables, meta


def write_entry(cache_dir: Path, key: str, tables: Mapping[str, pd.DataFrame],
                meta: dict) -> None:
    """Write entry ``key`` atomically (temp folder + rename); failures only log."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=cache_dir))
    except OSError as exc:
        logger.info("annotation cache not written (%s)", exc)
        return
    objects = {n: [c for c in t.columns if t[c].dtype == object] for n, t in tables.items()}
    meta = {**meta, "object_columns": objects}
    try:
        for name, table in tables.items():
            if "frame" in objects[name]:
                table = table.assign(frame=table["frame"].astype(str))  # one Arrow type
            pq.write_table(pa.Table.from_pandas(table, preserve_index=False),
                           tmp / f"{name}.parquet", compression="lz4")
        (tmp / "meta.json").write_text(json.dumps(meta))
        entry = cache_dir / key
        if entry.exists():  # an unreadable entry of ours: move it aside, then drop it
            stale = Path(tempfile.mkdtemp(prefix=".stale-", dir=cache_dir))
            os.replace(entry, stale / key)
            shutil.rmtree(stale, ignore_errors=True)
        os.replace(tmp, entry)
    except OSError as exc:
        logger.info("annotation cache not written (%s)", exc)
    finally:
        # Only the temporary folder this function created is ever removed.
        with contextlib.suppress(OSError):
            if tmp.exists():
                shutil.rmtree(tmp)


def load_cached(cache_dir: Path, key: str) -> tuple[Annotations, list[str]] | None:
    """The cached annotations and parse warnings for ``key``, or None."""
    hit = read_entry(cache_dir, key, ("heads", "frames"))
    if hit is None:
        return None
    tables, meta = hit
    return Annotations(tables["heads"], tables["frames"]), meta["warnings"]


def store_cached(cache_dir: Path, key: str, ann: Annotations, warns: list[str]) -> None:
    """Write the cache entry atomically (temp folder + rename); failures only log."""
    write_entry(cache_dir, key, {"heads": ann.heads, "frames": ann.frames},
                {"warnings": warns})


def recording(build: Callable[[], T]) -> tuple[T, list[str]]:
    """``build()`` and the VSCrowdWarnings it raised (as messages, raised again here so
    a cache hit can replay exactly the same ones)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", VSCrowdWarning)
        out = build()
    warns = []
    for w in caught:
        if issubclass(w.category, VSCrowdWarning):
            warns.append(str(w.message))
        else:  # pragma: no cover - re-raise foreign warnings untouched
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    replay(warns)
    return out, warns


def replay(warns: Sequence[str]) -> None:
    for w in warns:
        warnings.warn(w, VSCrowdWarning, stacklevel=4)


def load_annotations(root: Path, files: Sequence[Path], *, strict: bool, cache: bool = True,
                     cache_dir: str | Path | None = None) -> Annotations:
    """Parse ``files`` (or read the Parquet cache keyed by their stat and content); the
    parser's VSCrowdWarnings are replayed on a cache hit too."""
    key = cache_key(files, strict=strict) if cache else ""
    cdir = Path(cache_dir) if cache_dir else default_cache_dir(root)
    if cache:
        hit = load_cached(cdir, key)
        if hit is not None:
            ann, warns = hit
            replay(warns)
            logger.debug("annotations loaded from cache %s", cdir / key)
            return ann
    ann, warns = recording(lambda: read_many(files, strict=strict))
    if cache:
        store_cached(cdir, key, ann, warns)
    return ann
