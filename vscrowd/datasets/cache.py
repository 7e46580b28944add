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
import tempfile
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from ..errors import AnnotationFormatError, VSCrowdWarning
from .annotations import Annotations, read_many

__all__ = ["cache_key", "default_cache_dir", "load_annotations", "load_cached", "store_cached"]

logger = logging.getLogger(__name__)
#: Bumped whenever the parser's output changes, so stale caches are never read.
_CACHE_FORMAT = 2
_CACHE_MARK = ".vscrowd-cache"
_RACY_SECONDS = 3.0


def default_cache_dir(root: Path) -> Path:
    """``ROOT/.vscrowd-cache`` if the root is writable, else the user cache folder."""
    if os.access(root, os.W_OK):
        return root / _CACHE_MARK
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    digest = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:16]
    return base / "vscrowd" / digest


def cache_key(files: Sequence[Path], *, strict: bool) -> str:
    """A digest of the annotation files' stat records (and the content of recently
    changed ones; see the module docstring).

    Raises:
        AnnotationFormatError: A file that cannot be stat'ed (a broken or looping link).
    """
    h = hashlib.sha1(f"v{_CACHE_FORMAT}:{strict}".encode())
    racy_after = time.time_ns() - int(_RACY_SECONDS * 1e9)
    for f in files:
        try:
            st = f.stat()
            h.update(f"{f.name}\0{st.st_size}\0{st.st_mtime_ns}\0{st.st_ctime_ns}\0"
                     f"{st.st_ino}\n".encode())
            if max(st.st_mtime_ns, st.st_ctime_ns) >= racy_after:
                h.update(hashlib.sha1(f.read_bytes()).digest())
        except OSError as exc:
            raise AnnotationFormatError(f"cannot read file ({exc.strerror or exc}; a broken "
                                        "or looping link?)", path=f) from None
    return h.hexdigest()


def load_cached(cache_dir: Path, key: str) -> tuple[Annotations, list[str]] | None:
    """The cached annotations and parse warnings for ``key``, or None."""
    entry = cache_dir / key
    try:
        # self_destruct frees each Arrow column once converted: a lower peak.
        heads = pq.read_table(entry / "heads.parquet").to_pandas(self_destruct=True)
        frames = pq.read_table(entry / "frames.parquet").to_pandas(self_destruct=True)
        warns = json.loads((entry / "warnings.json").read_text())
    except (OSError, pa.ArrowException, ValueError):
        return None
    frames["frame"] = frames["frame"].astype(object)
    return Annotations(heads, frames), warns


def store_cached(cache_dir: Path, key: str, ann: Annotations, warns: list[str]) -> None:
    """Write the cache entry atomically (temp folder + rename); failures only log."""
    try:
        cache_dir.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=cache_dir))
    except OSError as exc:
        logger.info("annotation cache not written (%s)", exc)
        return
    try:
        pq.write_table(pa.Table.from_pandas(ann.heads, preserve_index=False),
                       tmp / "heads.parquet", compression="lz4")
        frames = ann.frames.copy()
        frames["frame"] = frames["frame"].astype(str)
        pq.write_table(pa.Table.from_pandas(frames, preserve_index=False),
                       tmp / "frames.parquet")
        (tmp / "warnings.json").write_text(json.dumps(warns))
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
            for w in warns:
                warnings.warn(w, VSCrowdWarning, stacklevel=3)
            logger.debug("annotations loaded from cache %s", cdir / key)
            return ann
    warns = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", VSCrowdWarning)
        ann = read_many(files, strict=strict)
    for w in caught:
        if issubclass(w.category, VSCrowdWarning):
            warns.append(str(w.message))
        else:  # pragma: no cover - re-raise foreign warnings untouched
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
    for w in warns:
        warnings.warn(w, VSCrowdWarning, stacklevel=3)
    if cache:
        store_cached(cdir, key, ann, warns)
    return ann
