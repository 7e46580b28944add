"""Split list files and scene labels (the "SenseCrowd" flavour of the dataset).

The video-counting literature (DRNet, DAANet, CGNet) distributes the same videos as
*SenseCrowd* with split lists -- ``train.txt``, ``val.txt``, ``test.txt`` holding one
video name per line (497 / 95 / 42 videos; val and test both drawn from ``test_*``) --
and a ``scene_label.txt`` whose lines are ``<video> <int label> <int label> ...``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from .._text import read_text
from ..errors import ConfigError, DatasetError

__all__ = ["SPLIT_LIST_NAMES", "find_split_files", "holdout_videos", "read_scene_labels",
           "video_table",
           "read_split_file", "scene_key", "split_from_name"]

#: Split list files looked for in a dataset root when no ``split_files`` are given.
SPLIT_LIST_NAMES = ("train.txt", "val.txt", "test.txt")


def split_from_name(video: str) -> str:
    """The official split of a video from its name prefix.

    >>> split_from_name("train_012"), split_from_name("test_001")
    ('train', 'test')
    """
    prefix = video.split("_", 1)[0]
    return prefix if prefix in ("train", "test") else "unknown"


def read_split_file(path: str | Path) -> tuple[str, list[str]]:
    """Read a split list: returns ``(split name = file stem, video names)``.

    Lines may hold a bare video name or a path/file name (``test_001.txt``); blank
    lines and ``#`` comments are ignored.
    """
    path = Path(path)
    text = read_text(path, DatasetError, "split list file")
    videos = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            videos.append(Path(line.split()[0]).stem)
    if not videos:
        raise DatasetError(f"split file {path} lists no videos")
    return path.stem, videos


def find_split_files(root: str | Path) -> list[Path]:
    """Split list files present directly in ``root`` (see :data:`SPLIT_LIST_NAMES`)."""
    root = Path(root)
    return [root / n for n in SPLIT_LIST_NAMES if (root / n).is_file()]


def read_scene_labels(path: str | Path) -> dict[str, tuple[int, ...]]:
    """Read ``scene_label.txt``: ``{video: (label, ...)}``.

    Raises:
        DatasetError: A label that is not an integer (names the line).
    """
    path = Path(path)
    labels: dict[str, tuple[int, ...]] = {}
    for no, line in enumerate(read_text(path, DatasetError, "scene label file").splitlines(),
                              start=1):
        parts = line.split()
        if not parts:
            continue
        try:
            labels[Path(parts[0]).stem] = tuple(int(v) for v in parts[1:])
        except ValueError as exc:
            raise DatasetError(f"{path}, line {no}: expected integer scene labels, "
                               f"got {' '.join(parts[1:])!r}") from exc
    return labels


_CUT = re.compile(r"_cut_\d+.*$")


def scene_key(video: str) -> str:
    """The recording a video was cut from: SenseCrowd names share it across their cuts
    (``0817_1_cut_01_rot`` and ``0817_1_cut_02`` -> ``0817_1``); a name without a cut
    suffix is its own scene.

    >>> scene_key("0817_1_cut_01_rot"), scene_key("IMG_4696_cut_03"), scene_key("train_007")
    ('0817_1', 'IMG_4696', 'train_007')
    """
    return _CUT.sub("", video)


def holdout_videos(videos: Sequence[str], fraction: float = 0.1, *, seed: int = 0,
                   scene_labels: Mapping[str, tuple[int, ...] | None] | None = None
                   ) -> list[str]:
    """A deterministic, scene-disjoint validation hold-out of ``videos``.

    Videos are grouped by :func:`scene_key`, so cuts of one recording never straddle
    the hold-out; groups are taken in a seeded hash order until ``fraction`` of the
    videos is held out (at least one group, never all). With SenseCrowd scene labels
    (``scene_label.txt``: density, indoor/outdoor, day/night ...), the order
    alternates between label classes so the hold-out covers them evenly.

    >>> holdout_videos([f"train_{i:03d}" for i in range(1, 21)], 0.1)
    ['train_003', 'train_010']
    """
    if not 0 < fraction < 1:
        raise ConfigError(f"expected a hold-out fraction in (0, 1), got {fraction}")
    groups: dict[str, list[str]] = {}
    for v in videos:
        groups.setdefault(scene_key(v), []).append(v)
    if len(groups) < 2:
        raise ConfigError(f"cannot hold out validation scenes from {len(groups)} scene(s); "
                          "give a validation split (--val-split) or more training videos")

    def rank(key: str) -> str:
        return hashlib.sha256(f"{seed}:{key}".encode()).hexdigest()

    strata: dict[tuple, list[str]] = {}
    for key in sorted(groups, key=rank):
        label = (scene_labels or {}).get(groups[key][0]) or ()
        strata.setdefault(tuple(label), []).append(key)
    order = [k for round_ in _round_robin(list(strata.values())) for k in round_]
    target, held = fraction * len(videos), []
    for key in order[: len(order) - 1]:
        held += groups[key]
        if len(held) >= target:
            break
    return sorted(held)


def _round_robin(lists: list[list[str]]) -> list[list[str]]:
    """``[[a1, a2], [b1]]`` -> ``[[a1, b1], [a2]]``."""
    depth = max(len(x) for x in lists)
    return [[x[i] for x in lists if i < len(x)] for i in range(depth)]


def video_table(root: Path, names: Sequence[str], frames: pd.DataFrame,
                split_files: Sequence[str | Path] | str | None,
                aliases: Mapping[str, str]) -> pd.DataFrame:
    """One row per video: ``video, split, n_frames, n_heads`` (+ ``scene_labels`` when
    ``scene_label.txt`` exists). Splits come from split list files (``"auto"``: those
    in ``root``; names in them may be ``aliases``) or, without files, from the names."""
    n_frames = frames.groupby("video", observed=False).size()
    n_heads = frames.groupby("video", observed=False)["n_heads"].sum()
    videos = pd.DataFrame({
        "video": names,
        "split": [split_from_name(n) for n in names],
        "n_frames": [int(n_frames.get(n, 0)) for n in names],
        "n_heads": [int(n_heads.get(n, 0)) for n in names],
    })
    if split_files == "auto":
        split_files = find_split_files(root)
    if split_files:
        assign: dict[str, str] = {}
        for sf in split_files:
            split, listed = read_split_file(sf)
            listed = [aliases.get(v, v) for v in listed]
            unknown = sorted(set(listed) - set(names))
            if unknown:
                raise DatasetError(f"split file {sf} lists {len(unknown)} video(s) not in "
                                   f"{root / 'annotations'}: {', '.join(unknown[:5])}")
            for v in listed:
                assign[v] = split
        videos["split"] = [assign.get(n, "unlisted") for n in names]
    labels_file = root / "scene_label.txt"
    if labels_file.is_file():
        labels = read_scene_labels(labels_file)
        videos["scene_labels"] = [labels.get(n) for n in names]
    return videos
