"""The SenseCrowd ⇄ VSCrowd name map: the same videos under two naming schemes.

Videos are matched by annotation content: first by the sequence of per-frame head
counts (a near-unique fingerprint), then confirmed by the head points themselves -- the
share of one copy's points with a point of the other within ``tolerance`` px in the same
frame (the releases may round coordinates differently). A video left without an exact
count match is compared with every remaining video of the same length by points alone.
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.spatial import cKDTree

from .._io import atomic_write_text
from .._text import read_text
from ..errors import DatasetError, VSCrowdError
from .annotations import Annotations, read_annotations
from .layout import annotation_files
from .sensecrowd import read_sensecrowd_labels

__all__ = ["NameMap", "map_names", "read_name_map", "write_name_map"]

_COLUMNS = ("vscrowd_video", "sensecrowd_video", "frames", "heads", "match_quality")
_GOOD = 0.9  # share of points that must agree for a match
_SAMPLE_FRAMES = 8


@dataclass(frozen=True)
class NameMap:
    """Matched pairs (``rows``: the CSV's columns), and the videos left over."""

    rows: tuple[tuple[str, str, int, int, float], ...]
    ambiguous: tuple[str, ...]  # SenseCrowd videos with several equally good matches
    unmatched: tuple[str, ...]  # SenseCrowd videos without a match
    sensecrowd_videos: int

    def to_csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(_COLUMNS)
        w.writerows((a, b, f, h, f"{q:.4f}") for a, b, f, h, q in self.rows)
        return buf.getvalue()


def _sensecrowd_files(root: Path) -> list[Path]:
    folder = root / "label_list_all"
    files = sorted(folder.glob("*.txt")) if folder.is_dir() else []
    if not files:
        raise DatasetError(f"no SenseCrowd label files in {folder} (expected "
                           "label_list_all/<video>.txt)")
    return files


def _frames(ann: Annotations) -> list[np.ndarray]:
    """Per frame (file order) the ``(n, 2)`` head points."""
    fi = ann.heads["frame_index"].to_numpy()
    xy = ann.heads[["x", "y"]].to_numpy(np.float64)
    order = ann.frames["frame_index"].to_numpy()
    bounds = np.searchsorted(fi, np.r_[order, order.max(initial=-1) + 1])
    return [xy[bounds[i]:bounds[i + 1]] for i in range(len(order))]


def _read_sense(path: Path) -> list[np.ndarray]:
    try:
        return _frames(read_sensecrowd_labels(path))
    except VSCrowdError as exc:
        raise DatasetError(f"cannot read SenseCrowd labels: {exc}") from exc


def _agreement(a: list[np.ndarray], b: list[np.ndarray], tolerance: float) -> float:
    """Share of a's points (on sampled frames) with a point of b within ``tolerance``."""
    idx = np.linspace(0, len(a) - 1, min(_SAMPLE_FRAMES, len(a))).astype(int)
    hit = total = 0
    for i in idx:
        if len(a[i]) == 0:
            continue
        total += len(a[i])
        if len(b[i]):
            d, _ = cKDTree(b[i]).query(a[i], distance_upper_bound=tolerance)
            hit += int(np.isfinite(d).sum())
    return hit / total if total else float(all(len(x) == 0 for x in b))


def map_names(vscrowd_root: str | Path, sensecrowd_root: str | Path, *,
              tolerance: float = 1.0, progress: Callable[[str], None] | None = None
              ) -> NameMap:
    """Match the videos of two roots by content; see the module docstring."""
    step = progress or (lambda _v: None)
    files = annotation_files(vscrowd_root)
    sense_files = _sensecrowd_files(Path(sensecrowd_root))
    # Arrow's parser releases the GIL: two threads read the two roots' files in parallel.
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        vs = dict(zip([f.stem for f in files],
                      pool.map(lambda f: _frames(read_annotations(f)), files)))
        sense = list(pool.map(_read_sense, sense_files))
    by_counts: dict[tuple[int, ...], list[str]] = {}
    for name, frames in vs.items():
        by_counts.setdefault(tuple(len(f) for f in frames), []).append(name)
    rows, ambiguous, pending = [], [], []
    taken: set[str] = set()
    for f, frames in zip(sense_files, sense):
        candidates = by_counts.get(tuple(len(x) for x in frames), [])
        if not _decide(f.stem, frames, candidates, vs, tolerance, rows, ambiguous, taken):
            pending.append((f.stem, frames))
        step(f.stem)
    unmatched = []
    for name, frames in pending:  # no exact count match: compare points with the rest
        candidates = [v for v in vs if v not in taken and len(vs[v]) == len(frames)]
        if not _decide(name, frames, candidates, vs, tolerance, rows, ambiguous, taken):
            unmatched.append(name)
    return NameMap(tuple(sorted(rows)), tuple(ambiguous), tuple(unmatched), len(sense_files))


def _decide(name, frames, candidates, vs, tolerance, rows, ambiguous, taken) -> bool:
    """Record the match of SenseCrowd video ``name`` if exactly one candidate agrees."""
    scored = [(_agreement(frames, vs[v], tolerance), v) for v in candidates if v not in taken]
    good = sorted((q, v) for q, v in scored if q >= _GOOD)
    if not good:
        return False
    if len(good) > 1 and good[-1][0] == good[-2][0]:
        ambiguous.append(name)
        return True
    q, v = good[-1]
    rows.append((v, name, len(frames), int(sum(len(x) for x in frames)), round(q, 4)))
    taken.add(v)
    return True


def write_name_map(result: NameMap, path: str | Path) -> Path:
    """Write the CSV (atomically); refuse when fewer than half the videos matched."""
    if len(result.rows) * 2 < result.sensecrowd_videos:
        raise DatasetError(f"only {len(result.rows)} of {result.sensecrowd_videos} SenseCrowd "
                           "videos match; no map written (are these the same dataset?) "
                           f"unmatched: {', '.join(result.unmatched[:10])}")
    atomic_write_text(path, result.to_csv())
    return Path(path)


def read_name_map(path: str | Path) -> dict[str, str]:
    """``{sensecrowd_video: vscrowd_video}`` from a CSV written by ``map-names``."""
    rows = list(csv.DictReader(io.StringIO(read_text(path, DatasetError, "name map"))))
    if not rows or not {"vscrowd_video", "sensecrowd_video"} <= set(rows[0]):
        raise DatasetError(f"{path}: expected a CSV with columns vscrowd_video and "
                           "sensecrowd_video (written by vscrowd map-names)")
    return {r["sensecrowd_video"]: r["vscrowd_video"] for r in rows}
