"""The report folder: written whole into a temporary sibling, then renamed into place,
so a reader never sees half a report; an existing folder is replaced only with
``overwrite`` and only when vscrowd wrote it (a marker file says so)."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .._io import ensure_folder
from ..errors import OutputError

__all__ = ["MARKER", "report_folder"]

#: Written into every report folder; only folders holding it are ever replaced.
MARKER = ".vscrowd-report"


def _dataset_root_above(path: Path) -> Path | None:
    """The nearest folder at or above ``path`` that looks like a dataset root."""
    for p in [path, *path.parents]:
        if (p / "annotations").is_dir() and (p / "videos").is_dir():
            return p
    return None


def _check(out: Path, overwrite: bool, data_root: Path | None) -> None:
    resolved = out.resolve()
    roots = [r for r in (data_root.resolve() if data_root else None,
                         _dataset_root_above(resolved.parent)) if r is not None]
    for root in roots:
        if resolved == root or root in resolved.parents:
            raise OutputError(f"{out} is inside the dataset root {root}; write reports "
                              "elsewhere (the dataset stays as downloaded)")
    if out.exists():
        if not out.is_dir():
            raise OutputError(f"{out} exists and is not a folder")
        if any(out.iterdir()) and not overwrite:
            raise OutputError(f"{out} exists; pass --overwrite to replace the report there")
        if any(out.iterdir()) and not (out / MARKER).is_file():
            raise OutputError(f"{out} holds files vscrowd did not write (no {MARKER}); "
                              "choose another --out")


@contextlib.contextmanager
def report_folder(out: str | Path, overwrite: bool = False,
                  data_root: str | Path | None = None) -> Iterator[Path]:
    """Yield a temporary folder to write the report into; on success it replaces
    ``out`` in one rename (the previous report is removed after)."""
    out = Path(out)
    _check(out, overwrite, Path(data_root) if data_root else None)
    ensure_folder(out.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        yield tmp
        (tmp / MARKER).write_text("written by vscrowd report\n", encoding="utf-8")
        os.chmod(tmp, 0o755)
        old = None
        if out.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old.", dir=out.parent))
            os.replace(out, old / "r")
        os.replace(tmp, out)
        if old is not None:
            shutil.rmtree(old)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
