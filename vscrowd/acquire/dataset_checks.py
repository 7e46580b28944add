"""``verify_dataset(root)``: is this copy of a registered dataset complete and
self-consistent? Counts (images or frames per split, heads) are checked against the
published facts of the registry (or, for a synthetic root, its ``synth.json``); every
annotated image must exist with a readable header of a size ``read_image`` decodes (each
image's own header: the video readers take one per video for the tables), no image is
listed twice, and points outside their image are counted.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np

from .._text import read_text
from ..datasets.image_file import pixel_limit
from ..datasets.layout import image_size
from ..datasets.registry import dataset_info, detect
from ..errors import DatasetError, MissingImagesWarning
from .verify import Check, Reference, VerifyReport, resolve_reference

__all__ = ["verify_dataset"]


def _expected(root: Path, name: str, reference: Reference) -> tuple[str, dict]:
    manifest = root / "synth.json"
    if resolve_reference(root, reference) == "synth":
        try:
            doc = json.loads(read_text(manifest, DatasetError, "synth manifest"))
            return "synth.json", {"splits": dict(doc["splits"]), "heads": int(doc["heads"])}
        except (ValueError, KeyError, TypeError) as exc:
            raise DatasetError(f"{manifest}: not a vscrowd synth manifest ({exc})") from exc
    info = dataset_info(name)
    return "the published facts", {"splits": dict(info.splits), "heads": info.heads}


def verify_dataset(root: str | Path, dataset: str | None = None, *,
                   reference: Reference = "auto", images: bool = True) -> VerifyReport:
    """Check a registered dataset's root, image or video (see the module docstring).

    Args:
        reference: The counts to expect: ``paper`` (the published facts), ``synth``
            (the root's ``synth.json``), ``auto`` (``synth`` only for a root that
            ``vscrowd synth`` wrote: see :func:`~vscrowd.acquire.verify.resolve_reference`).
        images: Check that every annotated image is there (off for an annotations-only
            download).

    Raises:
        DatasetError: the root matches no registered layout; a synth reference without
            a readable ``synth.json``.
    """
    root = Path(root)
    info = detect(root) if dataset is None else dataset_info(dataset)
    with warnings.catch_warnings():
        if not images:  # an annotations-only copy: the images are missing on purpose
            warnings.simplefilter("ignore", MissingImagesWarning)
        ds = info.read(root)
    ref, exp = _expected(root, info.name, reference)
    checks = []
    # A frame's split through its video (an image dataset's video is its split).
    split_of = ds.frames["video"].astype(str).map(dict(zip(ds.videos["video"].astype(str),
                                                           ds.videos["split"])))
    for split, n in exp["splits"].items():
        found = int((split_of == split).sum())
        if split in ds.splits or found:
            checks.append(_count(f"{split} images", n, found))
        else:  # a split whose annotations are not published (NWPU test)
            checks.append(Check(f"{split} images", True, f"{n:,} (not annotated)",
                                "not read"))
    annotated_all = set(exp["splits"]) <= set(ds.splits)
    checks.append(_count("heads", exp["heads"] if annotated_all else None, len(ds.heads)))
    fr = ds.frames
    missing = fr.loc[~fr["has_image"].astype(bool), "path"].tolist()
    if images:
        checks.append(Check("images present", not missing, f"{len(fr):,}",
                            f"{len(fr) - len(missing):,}", tuple(missing[:3])))
        checks += _headers(root, fr)
    dup = fr.duplicated(["video", "frame"])
    checks.append(Check("images listed once", not dup.any(), "0 duplicates",
                        f"{int(dup.sum())} duplicates",
                        tuple(fr.loc[dup, "frame"].astype(str)[:3])))
    checks.append(_inside(ds))
    return VerifyReport(root, f"{info.title}: {ref}", tuple(checks))


def _headers(root: Path, fr) -> list[Check]:
    """Each present image's own header: readable (a zero-byte or foreign file is not),
    and of a size :func:`~vscrowd.datasets.image_file.read_image` decodes (a header
    claiming 65,000 x 65,000 pixels is a corrupt or hostile file). Headers only, a few
    microseconds each: decoding every image would take minutes."""
    limit = pixel_limit()
    unreadable, too_big = [], []
    for rel in fr.loc[fr["has_image"].astype(bool), "path"].astype(str):
        try:
            size = image_size(root / rel)
        except DatasetError:  # a header Pillow refuses as a decompression bomb
            too_big.append(f"{rel}: refused by Pillow as a decompression bomb")
            continue
        if size is None:
            unreadable.append(rel)
        elif size[0] * size[1] > limit:
            too_big.append(f"{rel}: {size[0]}x{size[1]}")
    return [Check("every image header is readable", not unreadable, "0 unreadable",
                  f"{len(unreadable):,} unreadable", tuple(unreadable[:3])),
            Check(f"images at most {limit:,} pixels", not too_big, "all",
                  f"{len(too_big):,} larger", tuple(too_big[:3]))]


def _count(name: str, expected: int | None, found: int) -> Check:
    return Check(name, expected is None or expected == found,
                 "(not comparable)" if expected is None else f"{expected:,}", f"{found:,}")


def _inside(ds) -> Check:
    """Heads inside their image (a count; the readers keep points outside, as the
    datasets publish them)."""
    h, fr = ds.heads, ds.frames
    import pandas as pd

    key = pd.DataFrame({"width": fr["width"], "height": fr["height"]}).set_axis(
        pd.MultiIndex.from_arrays([fr["video"].astype(str), fr["frame"].astype(str)]))
    wh = key.reindex(pd.MultiIndex.from_arrays([h["video"].astype(str),
                                                h["frame"].astype(str)]))
    w = wh["width"].astype("float64").to_numpy()
    hh = wh["height"].astype("float64").to_numpy()
    with np.errstate(invalid="ignore"):
        out = ((h["x"] < 0) | (h["y"] < 0) | (h["x"] > w) | (h["y"] > hh)).to_numpy()
    n = int(out.sum())
    return Check("heads inside their image", n == 0, "0 outside", f"{n:,} outside")
