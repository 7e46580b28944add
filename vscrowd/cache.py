"""Parquet cache of parsed annotations, keyed by the files' names, sizes and mtimes."""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from .annotations import Annotations

__all__ = ["cache_key", "default_cache_dir", "load_cached", "store_cached"]

logger = logging.getLogger(__name__)
#: Bumped whenever the parser's output changes, so stale caches are never read.
_CACHE_FORMAT = 1
_CACHE_MARK = ".vscrowd-cache"


def default_cache_dir(root: Path) -> Path:
    """``ROOT/.vscrowd-cache`` if the root is writable, else the user cache folder."""
    if os.access(root, os.W_OK):
        return root / _CACHE_MARK
    base = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache"))
    digest = hashlib.sha1(str(root.resolve()).encode()).hexdigest()[:16]
    return base / "vscrowd" / digest


def cache_key(files: Sequence[Path], *, strict: bool) -> str:
    """A digest of the annotation files' names, sizes and modification times."""
    h = hashlib.sha1(f"v{_CACHE_FORMAT}:{strict}".encode())
    for f in files:
        st = f.stat()
        h.update(f"{f.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def load_cached(cache_dir: Path, key: str) -> tuple[Annotations, list[str]] | None:
    """The cached annotations and parse warnings for ``key``, or None."""
    entry = cache_dir / key
    try:
        heads = pq.read_table(entry / "heads.parquet").to_pandas()
        frames = pq.read_table(entry / "frames.parquet").to_pandas()
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
        os.replace(tmp, cache_dir / key)
    except OSError as exc:
        logger.info("annotation cache not written (%s)", exc)
    finally:
        # Only the temporary folder this function created is ever removed.
        with contextlib.suppress(OSError):
            if tmp.exists():
                shutil.rmtree(tmp)


