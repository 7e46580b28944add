"""Split list files and scene labels (the "SenseCrowd" flavour of the dataset).

Two splits are published for these 634 videos:

* **VSCrowd** (the paper, HopLee6/VSCrowd-Dataset): by file name prefix, 497 ``train_*``
  and 137 ``test_*`` videos; no list files.
* **DRNet's SenseCrowd split** (taohan10200/DRNet, ``datasets/dataset_prepare/
  video_vis.py``: ``random.seed(0)``, 60 % train+val of which 10 % of all is val): list
  files ``train.txt`` / ``val.txt`` / ``test.txt`` of 317 / 63 / 254 videos in SenseCrowd
  names, one name per line (DAANet ships the same lists as ``old_annotations/``; DRNet's
  saved ``[pred, gt]`` arrays are in the order of its ``test.txt``).

Lists in SenseCrowd names are translated through a name map (:mod:`vscrowd.datasets.naming`).
:func:`identify_split` recognises DRNet's lists by content (a SHA-256 of each list's
sorted names; the names themselves are not shipped). A ``scene_label.txt`` has lines
``<video> <int label> <int label> ...`` (DRNet's: place, time, scenic, density).
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd

from .._text import read_text
from ..errors import ConfigError, DatasetError, VSCrowdWarning
from .naming import naming_of, translate_labels, translate_list

__all__ = ["ALL_SPLITS", "PUBLISHED_SPLITS", "SCENE_LABEL_FILE", "SPLIT_LIST_NAMES",
           "find_split_files", "holdout_videos", "identify_split", "read_scene_labels",
           "read_split_file", "scene_key", "split_from_name", "video_table"]

#: The split name that selects every frame (``--split all``), understood where data is
#: opened (:meth:`VSCrowd.select`), so no caller translates it.
ALL_SPLITS = "all"

#: Split list files looked for in a dataset root (or ``--splits DIR``).
SPLIT_LIST_NAMES = ("train.txt", "val.txt", "test.txt")
#: The scene label file looked for next to them.
SCENE_LABEL_FILE = "scene_label.txt"

#: Published list splits: description -> {split: (videos, SHA-256 of the sorted names
#: joined by newlines, in SenseCrowd names)}. Measured on DAANet's copy of DRNet's lists
#: (SKKUAutoLab/ETSS-05-Congestion @ 8e35156, Video_models/Density_models/DAANet/data/
#: Sense/old_annotations/).
PUBLISHED_SPLITS: dict[str, dict[str, tuple[int, str]]] = {
    "DRNet's SenseCrowd split (317/63/254; taohan10200/DRNet, random.seed(0))": {
        "train": (317, "2ea52a327994a04bc7a20c13422818bbac83a2a6a56b7302b8f04224342621fa"),
        "val": (63, "5a3d480ef1eee84e01193832f2702822ba0039b724c1d11f2de7aac2dada37d3"),
        "test": (254, "81f6c3d2c21e157ffea44398bf36a2e22722cd6944214ddf4f09051bb2138287"),
    },
}


def _fingerprint(videos: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(sorted(videos)).encode()).hexdigest()


def identify_split(lists: Mapping[str, Sequence[str]],
                   names: Mapping[str, str] | None = None) -> str | None:
    """The published split that ``{split: videos}`` is, if any: every given list must
    equal that split's list of the same name. Lists in VSCrowd names are compared in
    SenseCrowd names through the name map ``names`` (``{sensecrowd: vscrowd}``).

    >>> identify_split({"train": ["a"]}) is None
    True
    """
    if names:
        back = {v: k for k, v in names.items()}
        lists = {k: [back.get(x, x) for x in v] for k, v in lists.items()}
    for desc, known in PUBLISHED_SPLITS.items():
        if lists and all(k in known and known[k] == (len(v), _fingerprint(v))
                         for k, v in lists.items()):
            return desc
    return None


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
                aliases: Mapping[str, str], labels_file: str | Path | None = None
                ) -> pd.DataFrame:
    """One row per video: ``video, split, n_frames, n_heads`` (+ ``scene_labels`` with a
    scene label file: ``labels_file`` or ``root/scene_label.txt``). Splits come from
    split list files (``"auto"``: those in ``root``; names in them may be ``aliases``)
    or, without files, from the names. Lists found in ``root`` that name none of the
    videos, in the other naming and without a map, are ignored with a warning (the
    split then follows the names); lists given explicitly must match."""
    n_frames = frames.groupby("video", observed=False).size()
    n_heads = frames.groupby("video", observed=False)["n_heads"].sum()
    videos = pd.DataFrame({
        "video": names,
        "split": [split_from_name(n) for n in names],
        "n_frames": [int(n_frames.get(n, 0)) for n in names],
        "n_heads": [int(n_heads.get(n, 0)) for n in names],
    })
    auto = split_files == "auto"
    files = find_split_files(root) if auto else list(split_files or [])
    lists = [(sf, *read_split_file(sf)) for sf in files]
    if auto and lists and not aliases and _other_naming(lists, names):
        listed = [v for _sf, _s, vids in lists for v in vids]
        warnings.warn(f"{', '.join(Path(sf).name for sf, _s, _v in lists)} in {root} list "
                      f"{naming_of(listed)} names (e.g. {listed[0]}), not the annotations' "
                      "names, and no name map was given; splits follow the video names "
                      "instead (give --names MAP or put the map of `vscrowd map-names` at "
                      "ROOT/names.csv to use these lists)", VSCrowdWarning, stacklevel=3)
        lists = []
    if lists:
        assign: dict[str, str] = {}
        for sf, split, listed in lists:
            for v in translate_list(listed, names, aliases, what=f"split file {sf}"):
                assign[v] = split
        videos["split"] = [assign.get(n, "unlisted") for n in names]
    labels_file = Path(labels_file) if labels_file else root / SCENE_LABEL_FILE
    if labels_file.is_file():
        labels = translate_labels(read_scene_labels(labels_file), names, aliases,
                                  what=f"scene labels {labels_file}")
        videos["scene_labels"] = [labels.get(n) for n in names]
    return videos


def _other_naming(lists, names: Sequence[str]) -> bool:
    """Every list names none of ``names`` and uses the other naming."""
    known = set(names)
    listed = [v for _sf, _s, vids in lists for v in vids]
    return not known.intersection(listed) and naming_of(listed) not in (
        naming_of(list(names)[:50]), "mixed")
