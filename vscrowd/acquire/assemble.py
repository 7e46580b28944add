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
from dataclasses import dataclass, field, replace
from pathlib import Path, PurePosixPath
from typing import Literal

from .._io import atomic_write_text, ensure_folder
from ..datasets.annotation_check import check_annotations_streaming
from ..datasets.registry import dataset_info
from ..errors import DatasetError, LocatedError, OutputError
from .archive_entries import DEFAULT_MAX_RATIO
from .archives import (
    Archive,
    ArchiveMember,
    find_archives,
    missing_parts,
    read_checksums,
    verify_checksums,
)

__all__ = ["MANIFEST_NAME", "AssemblyResult", "Parts", "assemble"]

Parts = Literal["annotations", "frames", "all"]
MANIFEST_NAME = ".vscrowd-download.json"
_STAGING = ".vscrowd-staging"
_ROOT_FILES = {"train.txt", "val.txt", "test.txt", "scene_label.txt", "synth.json"}
_FRAME_EXT = {".jpg", ".jpeg"}
_IMAGE_EXT = {".jpg", ".jpeg", ".png"}  # frames for --parts, in any dataset


@dataclass(frozen=True)
class AssemblyResult:
    """What one run of :func:`assemble` did. Every entry of every archive is counted in
    exactly one of ``placed``, ``unchanged``, ``not_wanted``, ``duplicates`` and
    ``unrecognised`` (the last three are listed, never dropped in silence)."""

    root: Path
    archives: int  # archives (or plain files) found in the source
    done_now: tuple[str, ...]  # archives assembled by this run
    placed: int  # files moved into root
    unchanged: int  # files already in root with the same content
    unrecognised: tuple[str, ...] = field(default=())  # listed, not placed
    checksums_verified: int = 0
    not_wanted: int = 0  # entries left out on purpose by ``parts``
    duplicates: tuple[str, ...] = field(default=())  # identical copies, placed once
    not_done: tuple[str, ...] = field(default=())  # archives of which nothing was usable
    missing: tuple[str, ...] = field(default=())  # named in a checksum file, not present

    @property
    def already_complete(self) -> bool:
        return not self.done_now and not self.not_done


def _destination(name: str) -> str | None:
    """Where a VSCrowd member belongs under root (POSIX, relative), or None if
    unrecognised."""
    p = PurePosixPath(name)
    if p.name in _ROOT_FILES:
        return p.name
    if p.suffix.lower() in _FRAME_EXT and len(p.parts) >= 2:
        return f"videos/{p.parent.name}/{p.stem}.jpg"
    if p.suffix.lower() == ".txt" and not p.name.startswith("."):
        return f"annotations/{p.name}"
    return None


def _wanted(dest: str, parts: Parts) -> bool:
    is_frame = PurePosixPath(dest).suffix.lower() in _IMAGE_EXT
    return parts == "all" or (parts == "frames") == is_frame


def _destinations(dataset: str | None) -> Callable[[str], str | None]:
    """Where members go: VSCrowd's rules, or another registered dataset's own layout
    (its :meth:`~vscrowd.datasets.info.DatasetInfo.archive_path`)."""
    if dataset is None or dataset == "vscrowd":
        return _destination
    return dataset_info(dataset).archive_path


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
             force: bool = False, progress: Callable[[str, str], None] | None = None,
             follow_links: bool = False, max_ratio: float = DEFAULT_MAX_RATIO,
             dataset: str | None = None) -> AssemblyResult:
    """Assemble the archives and files under ``source`` into ``root``; see the module
    docstring. ``progress(stage, name)`` is called as work proceeds; links out of
    ``source`` are refused unless ``follow_links``; ``max_ratio`` bounds how far a
    compressed archive may expand (:mod:`vscrowd.archive_entries`). ``dataset``: another
    registered dataset's archives, placed in its own layout (each entry from the first
    folder of that layout on; the dataset's reader checks the files afterwards).

    Raises:
        DatasetError: Nothing usable in ``source``, a checksum mismatch, a missing part,
            a corrupt archive, an unsafe entry, a member that is not a valid annotation
            file, two different files for one place (each names the archive; nothing of
            that archive is moved into root).
        OutputError: Too little disk space (needed and free sizes), ``root`` not a
            folder, or a file that exists in ``root`` with other content (without
            ``force``).
    """
    source, root = Path(source), Path(root)
    if parts not in ("annotations", "frames", "all"):
        raise DatasetError(f"expected parts annotations, frames or all, got {parts!r}")
    if not max_ratio >= 1:
        raise DatasetError(f"expected a compression ratio limit >= 1, got {max_ratio!r}")
    if not source.is_dir():
        raise DatasetError(f"{source}: expected a folder of downloaded files")
    step = progress or (lambda _stage, _name: None)
    where = _destinations(dataset)
    archives, checksum_files = find_archives(source, follow_links=follow_links)
    archives = [replace(a, max_ratio=max_ratio) for a in archives]
    if not archives:
        raise DatasetError(f"{source}: no archives or files found")
    sums = read_checksums(checksum_files)
    missing = missing_parts(archives, sums)
    if missing and parts == "all":
        raise DatasetError(f"{', '.join(missing[:3])}: named in "
                           f"{', '.join(p.name for p in checksum_files)} but not in {source}; "
                           "download the missing file(s) first")
    verified = verify_checksums(archives, sums)
    step("checksums", f"{verified} part(s) verified")
    ensure_folder(root)
    staging = root / _STAGING
    shutil.rmtree(staging, ignore_errors=True)  # an interrupted run's leftovers (ours)
    manifest = _load_manifest(root)
    tally = _Tally()
    for a in archives:
        key = f"{a.name}:{parts}"
        if manifest["done"].get(key) == _signature(a):
            continue
        if _assemble_one(a, root, staging, parts, force, step, tally, where):
            manifest["done"][key] = _signature(a)
            atomic_write_text(root / MANIFEST_NAME, json.dumps(manifest, indent=1) + "\n")
            tally.done.append(a.name)
        else:
            tally.not_done.append(a.name)
    shutil.rmtree(staging, ignore_errors=True)
    return AssemblyResult(root, len(archives), tuple(tally.done), tally.placed,
                          tally.unchanged, tuple(tally.odd), verified, tally.not_wanted,
                          tuple(tally.dups), tuple(tally.not_done), tuple(missing))


@dataclass
class _Tally:
    """Running counts of one assemble() call; ``sources`` remembers which entry each
    file placed by this call came from, to name both sides of a collision."""

    placed: int = 0
    unchanged: int = 0
    not_wanted: int = 0
    odd: list[str] = field(default_factory=list)
    dups: list[str] = field(default_factory=list)
    done: list[str] = field(default_factory=list)
    not_done: list[str] = field(default_factory=list)
    sources: dict[str, str] = field(default_factory=dict)


def _plan(a: Archive, members: list[ArchiveMember], parts: Parts, tally: _Tally,
          where: Callable[[str], str | None]) -> dict[str, list[int]]:
    """Member indices by destination; unrecognised and unwanted entries are tallied."""
    by_dest: dict[str, list[int]] = {}
    for i, m in enumerate(members):
        dest = where(m.name)
        if dest is None:
            tally.odd.append(f"{a.name}: {m.raw or m.name}")
        elif not _wanted(dest, parts):
            tally.not_wanted += 1
        else:
            by_dest.setdefault(dest, []).append(i)
    return by_dest


def _place(path: Path, dest: Path) -> None:
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.replace(path, dest)
    except (FileExistsError, NotADirectoryError, IsADirectoryError) as exc:
        raise OutputError(f"cannot place {dest}: {exc.strerror} (is a folder of that path a "
                          "file, or the file a folder?)") from exc


def check_annotation_file(source: str, path: Path, dest: Path) -> None:
    """Validate a staged annotation file in blocks of lines (bounded memory whatever
    its size); errors name the archive entry (``source``), the line and the field."""
    try:
        check_annotations_streaming(path, video=dest.stem)
    except LocatedError as exc:
        where = ", ".join(x for x in (None if exc.line is None else f"line {exc.line}",
                                      exc.field) if x)
        raise DatasetError(f"{source} is not a valid annotation file ({where}: "
                           f"{exc.reason}); nothing of this archive was moved") from exc


def _assemble_one(a: Archive, root: Path, staging: Path, parts: Parts, force: bool,
                  step: Callable[[str, str], None], tally: _Tally,
                  where: Callable[[str], str | None] = _destination) -> bool:
    """Place one archive; False when it held nothing usable (then it is not recorded
    as done, so the next run reports it again)."""
    step("list", a.name)
    members = a.members()
    odd_before, unwanted_before = len(tally.odd), tally.not_wanted
    by_dest = _plan(a, members, parts, tally, where)
    need = sum(members[i].size for ii in by_dest.values() for i in ii)
    free = shutil.disk_usage(root).free
    if need > free:
        raise OutputError(f"not enough disk space under {root} for {a.name}: needs "
                          f"{need / 2**30:.2f} GiB, {free / 2**30:.2f} GiB free")
    here = staging / "part"
    shutil.rmtree(here, ignore_errors=True)
    step("extract", a.name)
    wanted = {i for ii in by_dest.values() for i in ii}
    paths = dict(a.extract(here, keep=wanted.__contains__))
    if set(paths) != wanted:  # every entry planned must have been read
        raise DatasetError(f"{a.name}: {len(wanted - set(paths))} entries listed but not "
                           "found while extracting; corrupt archive")
    moves = [(p, root / d, src) for p, d, src in _dedupe(a, members, by_dest, paths, tally)]
    for path, dest, src in moves:
        if where is _destination and dest.parent.name == "annotations":
            check_annotation_file(src, path, dest)
    same = {d for p, d, _ in moves if d.is_file() and filecmp.cmp(p, d, shallow=False)}
    for _p, d, src in moves:
        rel = d.relative_to(root).as_posix()
        if rel in tally.sources and d not in same:
            raise DatasetError(f"{tally.sources[rel]} and {src} both belong at {rel} with "
                               f"different content; nothing of {a.name} was moved; remove "
                               "one of them")
    clash = [d for p, d, _ in moves if d.exists() and d not in same]
    if clash and not force:
        raise OutputError(f"{clash[0]} exists with other content ({len(clash)} such "
                          f"file(s) from {a.name}); nothing of this archive was moved; pass "
                          "--force to replace them")
    step("place", a.name)
    for p, d, src in moves:
        tally.sources.setdefault(d.relative_to(root).as_posix(), src)
        if d not in same:
            _place(p, d)
    shutil.rmtree(here, ignore_errors=True)
    tally.placed += len(moves) - len(same)
    tally.unchanged += len(same)
    nothing = not moves and len(tally.odd) > odd_before and tally.not_wanted == unwanted_before
    return not nothing


def _dedupe(a: Archive, members: list[ArchiveMember], by_dest: dict[str, list[int]],
            paths: dict[int, Path], tally: _Tally) -> list[tuple[Path, str, str]]:
    """One ``(staged file, destination, source)`` per destination: entries that land on
    one place must hold the same bytes (then the copies are noted), else it is an error
    naming both."""
    moves = []
    for dest, indices in by_dest.items():
        first = indices[0]
        for other in indices[1:]:
            one, two = members[first].raw, members[other].raw
            if not filecmp.cmp(paths[first], paths[other], shallow=False):
                raise DatasetError(f"{a.name}: entries {one!r} and {two!r} both belong at "
                                   f"{dest} with different content; nothing of this archive "
                                   "was moved; remove one of them")
            tally.dups.append(f"{a.name}: {two!r} is an identical copy of {one!r}; "
                              f"placed once at {dest}")
        moves.append((paths[first], dest, f"{a.name}: {members[first].raw!r}"))
    return moves
