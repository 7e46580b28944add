"""Synthetic image datasets in their own formats (``vscrowd synth --flavour NAME``):
a seeded plan of images and heads that each dataset module writes in its native layout,
and the small JPEGs they point at. Densities follow the real datasets' ranges scaled
down, except one dense image (>= 10,000 heads) where the real dataset has such images
(NWPU-Crowd, UCF-QNRF, JHU-Crowd++), so every path is exercised at that density.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._io import atomic_open
from ..errors import ConfigError

__all__ = ["SynthImage", "manifest", "plan_images", "prepare_out", "write_image",
           "write_manifest"]

MANIFEST = "synth.json"


@dataclass(frozen=True)
class SynthImage:
    """One planned image: where it goes, its size and heads (integer-valued where the
    format stores integers, so reading back gives exactly these numbers)."""

    split: str
    index: int  # 1-based number within the dataset
    size: tuple[int, int]
    xy: np.ndarray
    wh: np.ndarray  # (n, 2) head box width, height


def plan_images(seed: int, splits: Mapping[str, int], *, size: tuple[int, int] = (320, 240),
                heads: tuple[int, int] = (5, 60), dense: int = 0,
                dense_size: tuple[int, int] = (2400, 1800), integer: bool = False
                ) -> list[SynthImage]:
    """Images per split in order, numbered from 1; ``dense > 0`` makes the first image
    of the first split hold ``dense`` heads in a ``dense_size`` image."""
    rng = np.random.default_rng(seed)
    out, k = [], 0
    for split, n in splits.items():
        for _ in range(n):
            k += 1
            big = dense > 0 and k == 1
            w, h = dense_size if big else size
            count = dense if big else int(rng.integers(heads[0], heads[1] + 1))
            xy = rng.uniform([2, 2], [w - 3, h - 3], (count, 2))
            wh = rng.uniform(4, 24, (count, 2))
            if integer:
                xy, wh = np.round(xy), np.round(wh)
            else:  # values with a short decimal form: text formats write them exactly
                xy, wh = np.round(xy, 2), np.round(wh, 2)
            out.append(SynthImage(split, k, (w, h), xy, wh))
    return out


def prepare_out(out: str | Path, overwrite: bool = False) -> Path:
    """``out`` as a Path, created; it must be missing or empty unless ``overwrite``."""
    out = Path(out)
    if out.exists() and any(out.iterdir()) and not overwrite:
        raise ConfigError(f"{out} is not empty; pass --overwrite or choose a new folder")
    out.mkdir(parents=True, exist_ok=True)
    return out


def write_image(path: Path, size: tuple[int, int], xy: np.ndarray, seed: int) -> None:
    """A small image (JPEG, or PNG for a ``.png`` path): a grey gradient with a dark dot
    per head (so overlays show them)."""
    from PIL import Image

    w, h = size
    rng = np.random.default_rng(seed)
    img = np.empty((h, w, 3), np.uint8)
    img[...] = (np.linspace(90, 170, w, dtype=np.float32)[None, :, None]
                + rng.integers(0, 12, (h, 1, 1))).astype(np.uint8)
    ij = np.clip(np.round(xy).astype(np.int64), 0, [w - 1, h - 1])
    img[ij[:, 1], ij[:, 0]] = 20
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path, "wb") as fh:
        if path.suffix.lower() == ".png":
            Image.fromarray(img).save(fh, format="PNG")
        else:
            Image.fromarray(img).save(fh, format="JPEG", quality=80)


def manifest(dataset: str, splits: dict[str, int], heads: int, seed: int) -> dict:
    """The ``synth.json`` entries ``verify`` checks a synthetic root against: images per
    split and heads."""
    return {"format": "vscrowd-synth-images", "dataset": dataset, "seed": seed,
            "images": sum(splits.values()), "heads": heads, "splits": splits}


def write_manifest(out: Path, dataset: str, images: list[SynthImage], seed: int) -> None:
    """``synth.json``: what was written (``verify`` checks a synthetic root against it)."""
    splits: dict[str, int] = {}
    for im in images:
        splits[im.split] = splits.get(im.split, 0) + 1
    doc = manifest(dataset, splits, int(sum(len(i.xy) for i in images)), seed)
    with atomic_open(out / MANIFEST, "w") as fh:
        json.dump(doc, fh, indent=2)
        fh.write("\n")
