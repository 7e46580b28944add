"""A SenseCrowd-flavoured synthetic copy: the same videos as a synthetic VSCrowd of the
same arguments, under SenseCrowd's names and files -- a pair with a known name map.

Layout written to OUT (the published one: docs/datasets.md, "SenseCrowd"):
``label_list_all/<name>.txt`` (per-frame label lines, 6-digit frame file names,
coordinates rounded to 1 decimal as a re-release might), ``video_ori/<name>/<frame
file>`` (the frames, unless ``images=False``), ``train.txt`` / ``val.txt`` / ``test.txt``
(SenseCrowd names; val and test drawn from the VSCrowd test videos) and ``synth.json``
(with ``sensecrowd_names``: the answer, and the frames per split and heads that
``vscrowd verify`` checks).
"""

from __future__ import annotations

import json
import random
import tempfile
from pathlib import Path

import numpy as np

from .._io import atomic_write_text
from ..datasets.annotations import read_annotations
from ..datasets.layout import annotation_files
from ..datasets.sensecrowd import format_sensecrowd_labels
from ..datasets.sensecrowd_info import read_sensecrowd
from ..datasets.synth_images import manifest, write_image
from ..errors import OutputError
from .generator import synthesize

__all__ = ["sensecrowd_names", "synthesize_sensecrowd"]


def sensecrowd_names(n: int, seed: int) -> list[str]:
    """``n`` distinct SenseCrowd-style names (``0817_1_cut_01_rot``, ``IMG_4696_cut_03``),
    in a seeded order.

    >>> sensecrowd_names(2, 0)
    ['IMG_7890_cut_04_rot', '0516_3_cut_05']
    """
    rng = random.Random(seed)
    names: set[str] = set()
    while len(names) < n:
        cut = rng.randint(1, 5)
        if rng.random() < 0.5:
            base = f"{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}_{rng.randint(1, 4)}"
        else:
            base = f"IMG_{rng.randint(1000, 9999)}"
        names.add(f"{base}_cut_{cut:02d}" + ("_rot" if rng.random() < 0.3 else ""))
    out = sorted(names)
    rng.shuffle(out)
    return out


def synthesize_sensecrowd(out: str | Path, *, videos: int = 6, frames: int = 12,
                          size: tuple[int, int] = (480, 270), seed: int = 0,
                          train_fraction: float = 0.75, overwrite: bool = False,
                          images: bool = True, **options) -> Path:
    """Write the SenseCrowd flavour of ``synthesize(...)`` with the same arguments."""
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise OutputError(f"{out} exists and is not empty; pass --overwrite")
    with tempfile.TemporaryDirectory() as tmp:
        root = synthesize(Path(tmp) / "v", videos=videos, frames=frames, size=size,
                          seed=seed, train_fraction=train_fraction, images=False, **options)
        files = annotation_files(root)
        names = dict(zip([f.stem for f in files], sensecrowd_names(len(files), seed)))
        for f in files:
            atomic_write_text(out / "label_list_all" / f"{names[f.stem]}.txt",
                              format_sensecrowd_labels(read_annotations(f), *size, decimals=1))
    test = [v for v in names if v.startswith("test")]
    lists = {"train": [v for v in names if v.startswith("train")],
             "val": test[: len(test) // 2], "test": test[len(test) // 2:]}
    for split, vids in lists.items():
        if vids:  # a split without videos has no list (an empty list is refused)
            atomic_write_text(out / f"{split}.txt", "".join(f"{names[v]}\n" for v in vids))
    ds = read_sensecrowd(out)
    if images:
        _write_frames(out, ds, size, seed)
    per_split = ds.videos.groupby("split")["n_frames"].sum()
    doc = {"generator": "vscrowd.synth", "flavour": "sensecrowd",
           "config": {"videos": videos, "frames": frames, "size": list(size),
                      "seed": seed, "train_fraction": train_fraction, **options},
           "sensecrowd_names": names,
           # what verify checks, as for every registered dataset's synthetic copy
           **manifest("sensecrowd", {s: int(per_split.get(s, 0)) for s in lists},
                      len(ds.heads), seed)}
    atomic_write_text(out / "synth.json", json.dumps(doc, indent=1) + "\n")
    return out


def _write_frames(out: Path, ds, size: tuple[int, int], seed: int) -> None:
    """Each frame's image at its path (``video_ori/<video>/<file>``), heads drawn."""
    starts = np.concatenate([[0], np.cumsum(ds.frames["n_heads"].to_numpy())])
    xy = ds.heads[["x", "y"]].to_numpy()
    for k, path in enumerate(ds.frames["path"]):
        write_image(out / path, size, xy[starts[k]:starts[k + 1]], seed + k)
