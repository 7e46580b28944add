"""``verify(root)``: is this copy of VSCrowd complete and self-consistent?

For people who download the real dataset (often from a mirror, in parts). The copy is
checked against what the paper states -- 634 videos (497 train, 137 test), 62,938 frames,
2,344,276 annotated heads, frames of up to 1920×1080 -- or, for a synthetic root, against
its ``synth.json`` (only when asked, or for a root ``vscrowd synth`` wrote; counts
bounded); and against itself: every annotation file parses, every annotated
frame has a readable image, image sizes agree within each video and with the annotated
coordinates, no frame is annotated twice, split lists name existing videos once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np

from .._text import read_json
from ..datasets.annotations import read_annotations
from ..datasets.layout import IMAGE_EXT, annotation_files, image_size
from ..datasets.namemap import read_name_map
from ..datasets.naming import NAME_MAP_FILE, naming_of
from ..datasets.splits import (
    find_split_files,
    identify_split,
    read_split_file,
    split_from_name,
)
from ..errors import DatasetError, VSCrowdError
from ..frameids import frame_number

__all__ = ["PAPER", "SYNTH_LIMITS", "Check", "VerifyReport", "resolve_reference", "verify"]

#: What the paper states about VSCrowd (Section III and Table I).
PAPER = {"videos": 634, "train": 497, "test": 137, "frames": 62_938, "heads": 2_344_276,
         "max_size": (1920, 1080)}
#: Where the dataset's own README disagrees with the paper (reported, not checked).
README_NOTE = ("the official README (HopLee6/VSCrowd-Dataset) says 479 training videos; the "
               "paper says 497 train + 137 test = 634, which is what is checked")
Reference = Literal["auto", "paper", "synth"]


@dataclass(frozen=True)
class Check:
    """One line of the verification table."""

    name: str
    passed: bool
    expected: str
    found: str
    examples: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"check": self.name, "passed": self.passed, "expected": self.expected,
                "found": self.found, "examples": list(self.examples)}


@dataclass(frozen=True)
class VerifyReport:
    """All checks of one root; ``complete`` when every check passed."""

    root: Path
    reference: str
    checks: tuple[Check, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def complete(self) -> bool:
        return all(c.passed for c in self.checks)

    def to_dict(self) -> dict[str, Any]:
        return {"root": str(self.root), "reference": self.reference,
                "complete": self.complete, "checks": [c.to_dict() for c in self.checks],
                "notes": list(self.notes)}

    def format(self) -> str:
        head = f"checked against {self.reference}: {self.root}"
        rows = [("", "check", "expected", "found")] + [
            ("ok" if c.passed else "FAIL", c.name, c.expected, c.found) for c in self.checks]
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        lines = [head] + ["  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip()
                          for r in rows]
        for c in self.checks:
            if not c.passed and c.examples:
                lines.append(f"{c.name}: first offending: " + "; ".join(c.examples))
        lines += [f"note: {n}" for n in self.notes]
        lines.append(f"{self.root}: " + ("complete" if self.complete else
                                         f"NOT complete ({sum(not c.passed for c in self.checks)}"
                                         " check(s) failed)") + f", checked against "
                     f"{self.reference}")
        return "\n".join(lines)


#: Bounds on a synth.json's counts: far above any synthetic set, far below what would
#: exhaust memory (a synth.json is input; one saying ``videos: 1e9`` is refused).
SYNTH_LIMITS = {"videos": 100_000, "frames": 1_000_000}
#: The manifest a download writes: a root that has one holds downloaded files.
_DOWNLOADED = ".vscrowd-download.json"


def resolve_reference(root: Path, reference: Reference) -> Literal["paper", "synth"]:
    """What ``reference`` means for ``root``: ``auto`` is ``synth`` only for a root that
    ``vscrowd synth`` wrote (a synth.json and no download manifest); a synth.json that
    arrived with downloaded files is never used unless asked for."""
    if reference not in ("auto", "paper", "synth"):
        raise DatasetError(f"expected reference auto, paper or synth, got {reference!r}")
    if reference != "auto":
        return reference
    synthetic = (root / "synth.json").is_file() and not (root / _DOWNLOADED).exists()
    return "synth" if synthetic else "paper"


def _synth_config(manifest: Path):
    from ..synth.generator import SynthConfig

    doc = read_json(manifest, DatasetError, "synth manifest")
    config = doc.get("config") if isinstance(doc, dict) else None
    if not isinstance(config, dict):
        raise DatasetError(f"{manifest}: not a vscrowd synth manifest (no \"config\" object)")
    for key, top in SYNTH_LIMITS.items():
        value = config.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= top:
            raise DatasetError(f"{manifest}: expected config.{key} as an integer from 1 to "
                               f"{top:,}, got {value!r}")
    size = config.get("size")
    if (not isinstance(size, list) or len(size) != 2
            or not all(isinstance(v, int) and not isinstance(v, bool) for v in size)):
        raise DatasetError(f"{manifest}: expected config.size as [width, height], got "
                           f"{size!r}")
    try:
        cfg = SynthConfig(**{**config, "size": tuple(size)})
        cfg.validate()
    except (TypeError, VSCrowdError) as exc:
        raise DatasetError(f"{manifest}: not a vscrowd synth manifest ({exc})") from exc
    return cfg


def _expectations(root: Path, reference: Reference) -> tuple[str, dict[str, Any]]:
    if resolve_reference(root, reference) == "synth":
        from ..synth.generator import video_names

        cfg = _synth_config(root / "synth.json")
        names = video_names(cfg)
        return "synth.json", {
            "videos": len(names), "train": sum(n.startswith("train") for n in names),
            "test": sum(n.startswith("test") for n in names),
            "frames": len(names) * cfg.frames, "heads": None, "max_size": cfg.size,
            "images": cfg.images}
    return "the paper", {**PAPER, "images": True}


def _count(name: str, expected: int | None, found: int) -> Check:
    return Check(name, expected is None or expected == found,
                 "(not stated)" if expected is None else f"{expected:,}", f"{found:,}")


def verify(root: str | Path, *, reference: Reference = "auto", images: bool = True,
           progress: Callable[[str], None] | None = None,
           names_map: Mapping[str, str] | None = None) -> VerifyReport:
    """Check a dataset root; see the module docstring (``images=False``: annotations
    only, for a copy without frames; ``names_map``: translates split lists in SenseCrowd
    names, default ``ROOT/names.csv``). Never raises on a damaged copy (that is a failed
    check); raises :class:`DatasetError` only when ``root`` has no annotations at all."""
    root = Path(root)
    files = annotation_files(root)
    ref, exp = _expectations(root, reference)
    step = progress or (lambda _label: None)
    parsed, bad_files = [], []
    for f in files:
        try:
            parsed.append(read_annotations(f))
        except VSCrowdError as exc:
            bad_files.append(str(exc))
        step(f.stem)
    checks = [Check("annotation files parse", not bad_files, f"{len(files):,} valid",
                    f"{len(files) - len(bad_files):,} valid, {len(bad_files)} invalid",
                    tuple(bad_files[:3]))]
    names = [f.stem for f in files]
    splits = [split_from_name(n) for n in names]
    checks += [_count("videos", exp["videos"], len(names)),
               _count("train videos", exp["train"], splits.count("train")),
               _count("test videos", exp["test"], splits.count("test")),
               _count("frames", exp["frames"], sum(len(a.frames) for a in parsed)),
               _count("heads", exp["heads"], sum(len(a.heads) for a in parsed))]
    checks += _duplicate_frames(parsed)
    if exp["images"] and images:
        checks += _image_checks(root, parsed, exp["max_size"])
    if names_map is None and (root / NAME_MAP_FILE).is_file():
        names_map = read_name_map(root / NAME_MAP_FILE)
    list_checks, list_notes = _split_list_checks(root, names, names_map)
    notes = ((README_NOTE,) if ref == "the paper" else ()) + tuple(list_notes)
    return VerifyReport(root, ref, tuple(checks + list_checks), notes)


def _duplicate_frames(parsed) -> list[Check]:
    dups = []
    for ann in parsed:
        values = [frame_number(f) for f in ann.frames["frame"]]
        seen: set[int] = set()
        for f, v in zip(ann.frames["frame"], values):
            if v is not None and v in seen:
                dups.append(f"{ann.frames['video'].iloc[0]}/{f}")
            seen.add(v)
    return [Check("no frame annotated twice", not dups, "0", f"{len(dups):,}",
                  tuple(dups[:3]))]


def _image_checks(root: Path, parsed, max_size: tuple[int, int]) -> list[Check]:
    missing, unreadable, mixed, too_big, outside = [], [], [], [], []
    for ann in parsed:
        if not len(ann.frames):
            continue
        video = str(ann.frames["video"].iloc[0])
        sizes = {}
        for f in ann.frames["frame"]:
            path = root / "videos" / video / f"{f}{IMAGE_EXT}"
            if not path.is_file():
                missing.append(str(path.relative_to(root)))
                continue
            size = image_size(path)
            if size is None:
                unreadable.append(str(path.relative_to(root)))
            else:
                sizes[f] = size
        distinct = set(sizes.values())
        if len(distinct) > 1:
            mixed.append(f"{video}: {sorted(distinct)}")
        if distinct:
            w, h = max(distinct)
            if w > max_size[0] or h > max_size[1]:
                too_big.append(f"{video}: {w}x{h}")
            heads = ann.heads
            off = (heads["x"] > w) | (heads["y"] > h) | (heads["x"] < 0) | (heads["y"] < 0)
            if bool(np.any(off)):
                row = heads[off.to_numpy()].iloc[0]
                outside.append(f"{video}/{row['frame']} head {int(row['head_id'])} at "
                               f"({row['x']:g}, {row['y']:g}) in a {w}x{h} image")
    n = sum(len(a.frames) for a in parsed)
    return [
        Check("every annotated frame has an image", not missing, f"{n:,}",
              f"{n - len(missing):,} ({len(missing):,} missing)", tuple(missing[:3])),
        Check("every image is readable", not unreadable, "0 unreadable",
              f"{len(unreadable):,} unreadable", tuple(unreadable[:3])),
        Check("one image size per video", not mixed, "1 size each",
              f"{len(mixed):,} video(s) mixed", tuple(mixed[:3])),
        Check(f"images at most {max_size[0]}x{max_size[1]}", not too_big, "all",
              f"{len(too_big):,} larger", tuple(too_big[:3])),
        Check("head centers inside their image", not outside, "all",
              f"{len(outside):,} video(s) with heads outside", tuple(outside[:3])),
    ]


def _split_list_checks(root: Path, names: list[str],
                       aliases: Mapping[str, str] | None) -> tuple[list[Check], list[str]]:
    """The split lists of ``root`` (either naming, translated by ``aliases``): known
    videos, each once; and a note naming the published split they are, if any."""
    lists = find_split_files(root)
    if not lists:
        return [], []
    problems, seen, read, notes = [], {}, {}, []
    known = set(names)
    for sf in lists:
        try:
            split, listed = read_split_file(sf)
        except VSCrowdError as exc:
            problems.append(str(exc))
            continue
        read[split] = listed
        for raw in listed:
            v = raw if raw in known or not aliases else aliases.get(raw, raw)
            if v not in known:
                problems.append(f"{sf.name} lists unknown video {raw}")
            elif v in seen:
                problems.append(f"{v} in both {seen[v]} and {sf.name}")
            seen.setdefault(v, sf.name)
    desc = identify_split(read, aliases)
    if desc:
        notes.append(f"split lists: {desc}")
    listed = [v for vids in read.values() for v in vids]
    if listed and not aliases and not known.intersection(listed) and \
            naming_of(listed) not in (naming_of(names[:50]), "mixed"):
        notes.append(f"the split lists use {naming_of(listed)} names and no name map was "
                     f"given: not checked (give --names MAP or put it at ROOT/"
                     f"{NAME_MAP_FILE})")
        return [Check("split lists consistent", True, "known videos, each once",
                      f"not checked ({naming_of(listed)} names, no name map)")], notes
    return [Check("split lists consistent", not problems,
                  f"{', '.join(p.name for p in lists)}: known videos, each once",
                  f"{len(problems)} problem(s)", tuple(problems[:3]))], notes
