"""The report folder: written whole into a temporary sibling, then renamed into place,
so a reader never sees half a report; an existing folder is replaced only with
``overwrite`` and only when vscrowd wrote everything in it (the marker file lists what
it wrote: a file added to a report since is never deleted, the folder is refused)."""

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
        if overwrite and (out / MARKER).is_file():
            foreign = _not_written(out)
            if foreign:
                raise OutputError(f"{out} holds files vscrowd did not write (e.g. "
                                  f"{foreign[0]}); move them out or choose another --out")


def _entries(folder: Path) -> list[str]:
    """Every file and folder under ``folder``, as sorted POSIX paths relative to it."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*"))


def _not_written(out: Path) -> list[str]:
    """The entries of report folder ``out`` that its marker does not list (all of them
    for a marker without a list: a report of an earlier version)."""
    try:
        listed = set((out / MARKER).read_text(encoding="utf-8").splitlines()[1:])
    except (OSError, UnicodeDecodeError):
        listed = set()
    return [e for e in _entries(out) if e != MARKER and e not in listed]


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
        # The marker lists what was written: only those may be replaced later.
        (tmp / MARKER).write_text("\n".join(["written by vscrowd report", *_entries(tmp)])
                                  + "\n", encoding="utf-8")
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
