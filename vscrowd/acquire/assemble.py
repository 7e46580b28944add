"""``assemble(source, root)``: downloaded files -> the official layout under ``root``.

Shared by ``vscrowd download --from DIR`` and the Hugging Face source. Steps, per archive
(see :mod:`vscrowd.acquire.archives` for what counts as one):

1. checksum files, when present, are verified for every part before anything is read;
2. the members are listed and checked (no entry may escape, no links or devices), their
   destinations decided from their names -- ``*.jpg`` under a folder named after its
   video goes to ``videos/<video>/``, any other ``*.txt`` to ``annotations/`` (and must
   parse as one), ``train.txt``/``val.txt``/``test.txt``/``scene_label.txt`` (and a
   synthetic copy's ``synth.json``) to the root;
   anything else is listed as unrecognised, never silently skipped;
3. free disk space is checked against the members' sizes;
4. the members are streamed into a staging folder inside ``root``; a file that already
   exists in ``root`` with other content stops the archive (unless ``force``); then each
   file is renamed into place and the archive is recorded as done in
   ``root/.vscrowd-download.json``.

Re-running after an interruption continues with the archives not yet done; re-running
when everything is done does nothing and says so.
"""

from __future__ import annotations

import filecmp
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Literal

from .._io import atomic_write_text
from ..datasets.annotations import read_annotations
from ..errors import DatasetError, OutputError, VSCrowdError
from .archives import Archive, find_archives, read_checksums, verify_checksums

__all__ = ["MANIFEST_NAME", "AssemblyResult", "Parts", "assemble"]

Parts = Literal["annotations", "frames", "all"]
MANIFEST_NAME = ".vscrowd-download.json"
_STAGING = ".vscrowd-staging"
_ROOT_FILES = {"train.txt", "val.txt", "test.txt", "scene_label.txt", "synth.json"}
_FRAME_EXT = {".jpg", ".jpeg"}


@dataclass(frozen=True)
class AssemblyResult:
    """What one run of :func:`assemble` did."""

    root: Path
    archives: int  # archives (or plain files) found in the source
    done_now: tuple[str, ...]  # archives assembled by this run
    placed: int  # files moved into root
    unchanged: int  # files already in root with the same content
    unrecognised: tuple[str, ...] = field(default=())  # listed, not placed
    checksums_verified: int = 0

    @property
    def already_complete(self) -> bool:
        return not self.done_now


def _destination(name: str) -> str | None:
    """Where a member belongs under root (POSIX, relative), or None if unrecognised."""
    p = PurePosixPath(name)
    if p.name in _ROOT_FILES:
        return p.name
    if p.suffix.lower() in _FRAME_EXT and len(p.parts) >= 2:
        return f"videos/{p.parent.name}/{p.stem}.jpg"
    if p.suffix.lower() == ".txt" and not p.name.startswith("."):
        return f"annotations/{p.name}"
    return None


def _wanted(dest: str, parts: Parts) -> bool:
    is_frame = dest.startswith("videos/")
    return parts == "all" or (parts == "frames") == is_frame


def _signature(a: Archive) -> list:
    return [[p.name, p.stat().st_size, p.stat().st_mtime_ns] for p in a.parts]


def _load_manifest(root: Path) -> dict:
    path = root / MANIFEST_NAME
    if not path.is_file():
        return {"done": {}}
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
        return doc if isinstance(doc.get("done"), dict) else {"done": {}}
    except (ValueError, OSError):
        return {"done": {}}


def assemble(source: str | Path, root: str | Path, *, parts: Parts = "all",
             force: bool = False, progress: Callable[[str, str], None] | None = None
             ) -> AssemblyResult:
    """Assemble the archives and files under ``source`` into ``root``; see the module
    docstring. ``progress(stage, name)`` is called as work proceeds.

    Raises:
        DatasetError: Nothing usable in ``source``, a checksum mismatch, a missing part,
            a corrupt archive, an unsafe entry, a member that is not a valid annotation
            file (each names the archive; nothing of that archive is moved into root).
        OutputError: Too little disk space (needed and free sizes), or a file that
            exists in ``root`` with other content (without ``force``).
    """
    source, root = Path(source), Path(root)
    if parts not in ("annotations", "frames", "all"):
        raise DatasetError(f"expected parts annotations, frames or all, got {parts!r}")
    if not source.is_dir():
        raise DatasetError(f"{source}: expected a folder of downloaded files")
    step = progress or (lambda _stage, _name: None)
    archives, checksum_files = find_archives(source)
    if not archives:
        raise DatasetError(f"{source}: no archives or files found")
    verified = verify_checksums(archives, read_checksums(checksum_files))
    step("checksums", f"{verified} part(s) verified")
    root.mkdir(parents=True, exist_ok=True)
    staging = root / _STAGING
    shutil.rmtree(staging, ignore_errors=True)  # an interrupted run's leftovers (ours)
    manifest = _load_manifest(root)
    done_now, placed, unchanged, unrecognised = [], 0, 0, []
    for a in archives:
        key = f"{a.name}:{parts}"
        if manifest["done"].get(key) == _signature(a):
            continue
        n_placed, n_same, odd = _assemble_one(a, root, staging, parts, force, step)
        placed, unchanged = placed + n_placed, unchanged + n_same
        unrecognised += odd
        manifest["done"][key] = _signature(a)
        atomic_write_text(root / MANIFEST_NAME, json.dumps(manifest, indent=1) + "\n")
        done_now.append(a.name)
    shutil.rmtree(staging, ignore_errors=True)
    return AssemblyResult(root, len(archives), tuple(done_now), placed, unchanged,
                          tuple(unrecognised), verified)


def _assemble_one(a: Archive, root: Path, staging: Path, parts: Parts, force: bool,
                  step: Callable[[str, str], None]) -> tuple[int, int, list[str]]:
    step("list", a.name)
    members = a.members()
    dests, odd = {}, []
    for m in members:
        dest = _destination(m.name)
        if dest is None:
            odd.append(f"{a.name}: {m.name}")
        elif _wanted(dest, parts):
            dests[m.name] = dest
    need = sum(m.size for m in members if m.name in dests)
    free = shutil.disk_usage(root).free
    if need > free:
        raise OutputError(f"not enough disk space under {root} for {a.name}: needs "
                          f"{need / 2**30:.2f} GiB, {free / 2**30:.2f} GiB free")
    here = staging / "part"
    shutil.rmtree(here, ignore_errors=True)
    step("extract", a.name)
    extracted = list(a.extract(here, keep=lambda name: name in dests))
    moves = []
    for path in extracted:
        name = path.relative_to(here).as_posix()
        dest = root / dests[name]
        if dest.parent.name == "annotations":
            try:
                read_annotations(path, video=dest.stem)
            except VSCrowdError as exc:
                raise DatasetError(f"{a.name}: {name} is not a valid annotation file "
                                   f"({exc}); nothing of this archive was moved") from exc
        moves.append((path, dest))
    same = {(p, d) for p, d in moves if d.is_file() and filecmp.cmp(p, d, shallow=False)}
    clash = [d for p, d in moves if d.exists() and (p, d) not in same]
    if clash and not force:
        raise OutputError(f"{clash[0]} exists with other content ({len(clash)} such "
                          f"file(s) from {a.name}); nothing of this archive was moved; pass "
                          "--force to replace them")
    step("place", a.name)
    for p, d in moves:
        if (p, d) in same:
            continue
        d.parent.mkdir(parents=True, exist_ok=True)
        os.replace(p, d)
    shutil.rmtree(here, ignore_errors=True)
    return len(moves) - len(same), len(same), odd
