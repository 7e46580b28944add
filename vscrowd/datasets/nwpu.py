"""NWPU-Crowd in its published layout (docs/datasets.md, "NWPU-Crowd").

``ROOT/images/<id>.jpg`` (or the archives' ``images_part1..5/``), ``ROOT/jsons/<id>.json``
for the 3,609 annotated train and val images, and the split lists ``train.txt``,
``val.txt``, ``test.txt`` (one image id first on each line). A JSON holds ``img_id``,
``human_num``, ``points`` (``[[x, y], ...]``) and ``boxes`` (``[[x1, y1, x2, y2], ...]``),
as read by taohan10200/IIM ``datasets/dataset_prepare/prepare_NWPU.py``. The head
point is ``points`` as stored (not the box centre). Test annotations are not published:
the test split is left out. The two columns after the id in the split lists are the
image's illumination (4 classes) and density level (5 classes), in that order, as the
official counting code reads them (gjy3035/NWPU-Crowd-Sample-Code@49981bd:trainer.py,
``validate_V2``: ``attributes_pt[0]`` per illumination, ``attributes_pt[1]`` per level;
misc/evaluation_code.py: ``idx, illum, level = map(int, line[:3])``); they become the
frame columns ``illumination`` and ``density_level``.
"""

from __future__ import annotations

import json
import os
import warnings
from functools import partial
from pathlib import Path

import msgspec
import numpy as np
from msgspec import UNSET, UnsetType

from .._io import atomic_open
from .._parallel import fork_map
from .._text import read_bytes, read_json, read_small_files, read_text
from ..errors import AnnotationFormatError, VSCrowdWarning
from . import fastjson
from .image_dataset import FrameColumns, ImageDataset, label_columns
from .info import DatasetInfo
from .synth_images import plan_images, prepare_out, write_image, write_manifest
from .values import nonfinite_row

__all__ = ["INFO", "read_nwpu", "read_nwpu_json", "synth_nwpu"]

SPLITS = ("train", "val")


def detect(root: Path) -> bool:
    return (root / "jsons").is_dir() and any((root / f"{s}.txt").is_file() for s in SPLITS)


def _split_ids(path: Path, seen: dict[str, tuple[Path, int]]
               ) -> list[tuple[str, dict[str, int]]]:
    """The rows ``(image id, labels)`` of a split list; ``seen``: where each id
    was listed so far (this list and the ones read before), updated.

    Raises:
        AnnotationFormatError: a line not starting with an id, an id listed twice (in
            this list or another: it would be scored twice; names both lines), or labels
            that are not whole numbers.
    """
    rows = []
    for no, line in enumerate(read_text(path, AnnotationFormatError, "split list")
                              .splitlines(), start=1):
        toks = line.split()
        if toks:
            if not toks[0].isdigit():
                raise AnnotationFormatError(f"expected an image id first, got {toks[0]!r}",
                                            path=path, line=no)
            first = seen.setdefault(toks[0], (path, no))
            if first != (path, no):
                raise AnnotationFormatError(f"image {toks[0]} is listed twice (first on "
                                            f"line {first[1]} of {first[0].name})",
                                            path=path, line=no)
            rows.append((toks[0], _list_labels(toks[1:3], path, no)))
    return rows


#: The split lists' columns after the image id, in order (see the module docstring).
LIST_LABELS = ("illumination", "density_level")


def _list_labels(tokens: list[str], path: Path, no: int) -> dict[str, int]:
    """The labels of one split-list line (as many as it has, whole numbers)."""
    if not all(t.isascii() and t.isdigit() for t in tokens):
        raise AnnotationFormatError(f"expected the illumination and density level as whole "
                                    f"numbers after the image id, got {' '.join(tokens)!r}",
                                    path=path, line=no)
    return {name: int(t) for name, t in zip(LIST_LABELS, tokens)}


class _Doc(msgspec.Struct):
    """The common shape of an NWPU-Crowd JSON (other keys, e.g. ``img_id``, ignored)."""

    points: list[tuple[float, float]]
    boxes: list[tuple[float, float, float, float]] | UnsetType = UNSET
    human_num: int | UnsetType = UNSET


_DECODER = msgspec.json.Decoder(_Doc)


def read_nwpu_json(path: Path) -> tuple[np.ndarray, np.ndarray | None]:
    """``(points (n, 2), boxes (n, 4) or None)`` of one ``jsons/<id>.json``.

    Raises:
        AnnotationFormatError: not JSON (file and line), a key missing or malformed.
    """
    doc = fastjson.decode(_DECODER, read_bytes(path, AnnotationFormatError,
                                               "NWPU-Crowd annotation"))
    if doc is not None:
        pts = fastjson.rows(doc.points, 2)
        boxes = None if doc.boxes is UNSET else fastjson.rows(doc.boxes, 4)
        human = doc.human_num
    else:  # anything unusual: the standard library and its checks (named errors)
        pts, boxes, human = _read_general(path)
    return _checked(path, pts, boxes, human)


def _checked(path: Path, pts: np.ndarray, boxes: np.ndarray | None, human
             ) -> tuple[np.ndarray, np.ndarray | None]:
    """``(pts, boxes)``, warning of a ``human_num`` that is not the point count and
    dropping boxes that are not one per point (with a warning).

    Raises:
        AnnotationFormatError: a NaN or an infinity (``1e400``) in ``points`` or
            ``boxes`` (names the entry).
    """
    for key, arr in (("points", pts), ("boxes", boxes)):
        row = None if arr is None else nonfinite_row(arr)
        if row is not None:
            raise AnnotationFormatError(f"expected finite numbers, got {arr[row].tolist()}",
                                        path=path, field=f"{key}[{row}]")
    if human is not UNSET and human != len(pts):
        warnings.warn(f"{path}: human_num {human} != {len(pts)} points "
                      "(the points are kept)", VSCrowdWarning, stacklevel=3)
    if boxes is not None and len(boxes) != len(pts):
        warnings.warn(f"{path}: {len(boxes)} boxes for {len(pts)} points; boxes dropped",
                      VSCrowdWarning, stacklevel=3)
        boxes = None
    return pts, boxes


def _read_jsons(folder: Path, images: list[str]
                ) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """:func:`read_nwpu_json` of each ``folder/<image>.json``, in order (the same
    arrays, warnings and first error).

    The files are read relative to the folder (:func:`read_small_files`, no path per
    file), then each decoded and turned into arrays before the next (all decoded at
    once, their tuples, ~270 bytes a head, outgrew the caches: slower); a file that is
    not read or not decoded is read by :func:`read_nwpu_json` in its turn, whose
    errors name it.

    (Measured and left out: the numbers decoded as ``msgspec.Raw`` and converted by
    Arrow's CSV reader. Faster once warm, but slower in a fresh process, the
    benchmark's cold read: Arrow's start and two passes over the text to check and
    reshape it.)"""
    names = [f"{image}.json" for image in images]
    out = []
    for name, data in zip(names, read_small_files(folder, names)):
        doc = None if data is None else fastjson.decode(_DECODER, data)
        if doc is None:
            out.append(read_nwpu_json(folder / name))
            continue
        boxes = None if doc.boxes is UNSET else fastjson.rows(doc.boxes, 4)
        out.append(_checked(folder / name, fastjson.rows(doc.points, 2), boxes,
                            doc.human_num))
    return out


#: Images per call of :func:`_read_jsons` in :func:`_read_images` (~7 ms of work at the
#: published density), and calls worth a worker process (vscrowd._parallel).
_BATCH, _BATCHES_PER_WORKER = 32, 6


def _read_images(folder: Path, images: list[str]
                ) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """:func:`_read_jsons` of ``images`` in batches, in worker processes where there are
    CPUs for it; the same arrays, and the warnings and first error raised here, in
    image order (vscrowd._parallel)."""
    batches = [images[i:i + _BATCH] for i in range(0, len(images), _BATCH)]
    got = fork_map(partial(_read_jsons, folder), batches, min_items=_BATCHES_PER_WORKER)
    return [item for batch in got for item in batch]


def _read_general(path: Path) -> tuple[np.ndarray, np.ndarray | None, object]:
    doc = read_json(path, AnnotationFormatError, "NWPU-Crowd annotation")
    if not isinstance(doc, dict) or "points" not in doc:
        raise AnnotationFormatError("expected a JSON object with 'points' (NWPU-Crowd)",
                                    path=path, field="points")
    pts = _array(doc["points"], 2, path, "points")
    boxes = _array(doc["boxes"], 4, path, "boxes") if "boxes" in doc else None
    return pts, boxes, doc.get("human_num", UNSET)


def _array(value, width: int, path: Path, key: str) -> np.ndarray:
    """``(n, width)`` float64 of a JSON list of ``width``-number lists. JSON numbers
    only, as the typed decode takes them: NumPy alone would also turn ``"1e3"`` and
    ``true`` into numbers."""
    if not isinstance(value, list):
        raise AnnotationFormatError(f"expected a list of {width}-number lists", path=path,
                                    field=key)
    for i, item in enumerate(value):
        if not isinstance(item, list) or len(item) != width or not all(
                type(v) in (int, float) for v in item):
            raise AnnotationFormatError(f"expected a list of {width} numbers, got "
                                        f"{item!r}"[:120], path=path, field=f"{key}[{i}]")
    try:
        return np.asarray(value, np.float64).reshape(-1, width)
    except OverflowError:  # an integer past float64's range (1e400 as digits)
        raise AnnotationFormatError("expected finite numbers, got an integer too large "
                                    "for a float", path=path, field=key) from None


def _file_names(folder: Path) -> set[str]:
    """The names of the regular files (links followed) in ``folder``; none if it cannot
    be listed. One listing instead of an ``is_file`` per image."""
    try:
        with os.scandir(folder) as entries:
            return {e.name for e in entries if e.is_file()}
    except OSError:
        return set()


def _image_rels(root: Path, images: list[str]) -> list[str]:
    """Each image's ``images/<id>.jpg``, or ``images_part<k>/<id>.jpg`` as the archives
    unpack (the first part that has it), else ``images/<id>.jpg``."""
    found = _file_names(root / "images")
    parts = None
    out = []
    for image in images:
        name = f"{image}.jpg"
        if name not in found:
            if parts is None:  # listed only when an image is not in images/
                parts = [(p.name, _file_names(p)) for p in sorted(root.glob("images_part*"))]
            folder = next((part for part, names in parts if name in names), "images")
            out.append(f"{folder}/{name}")
        else:
            out.append(f"images/{name}")
    return out


def read_nwpu(root: str | Path) -> ImageDataset:
    """The annotated splits (train, val) of an NWPU-Crowd root."""
    root = Path(root)
    col: dict[str, list] = {k: [] for k in ("split", "image", "labels", "xy", "box")}
    seen: dict[str, tuple[Path, int]] = {}
    for split in SPLITS:
        lst = root / f"{split}.txt"
        if not lst.is_file():
            continue
        rows = _split_ids(lst, seen)
        col["split"] += [split] * len(rows)
        col["image"] += [image for image, _ in rows]
        col["labels"] += [labels for _, labels in rows]
    for pts, boxes in _read_images(root / "jsons", col["image"]):
        col["xy"].append(pts)
        col["box"].append(np.column_stack([pts, pts]) if boxes is None else boxes)
    xy = np.concatenate(col["xy"]) if col["xy"] else np.empty((0, 2))
    columns = FrameColumns(
        col["split"], col["image"], _image_rels(root, col["image"]),
        np.array([len(p) for p in col["xy"]], np.int64), xy,
        np.concatenate(col["box"]) if col["box"] else np.empty((0, 4)),
        ids=np.full(len(xy), -1, np.int64), labels=label_columns(col["labels"]))
    return ImageDataset.from_columns(root, columns, name="nwpu", splits=SPLITS)


def synth_nwpu(out: str | Path, seed: int = 0, overwrite: bool = False) -> Path:
    """A small NWPU-Crowd copy: 6 train + 3 val images, the first with 10,000 heads."""
    out = prepare_out(out, overwrite)
    plan = plan_images(seed, {"train": 6, "val": 3}, dense=10_000)
    lists: dict[str, list[str]] = {"train": [], "val": [], "test": []}
    for im in plan:
        image = f"{im.index:04d}"
        boxes = np.column_stack([im.xy - im.wh / 2, im.xy + im.wh / 2])
        doc = {"img_id": f"{image}.jpg", "human_num": len(im.xy),
               "points": im.xy.tolist(), "boxes": boxes.tolist()}
        (out / "jsons").mkdir(exist_ok=True)
        with atomic_open(out / "jsons" / f"{image}.json", "w") as fh:
            json.dump(doc, fh)
        write_image(out / "images" / f"{image}.jpg", im.size, im.xy, seed + im.index)
        lists[im.split].append(f"{image} 1 {min(len(im.xy) // 100, 4)}")
    lists["test"].append(f"{len(plan) + 1:04d} 0 0")  # a test image: listed, not annotated
    write_image(out / "images" / f"{len(plan) + 1:04d}.jpg", (64, 48), np.empty((0, 2)), seed)
    for split, rows in lists.items():
        with atomic_open(out / f"{split}.txt", "w") as fh:
            fh.write("".join(r + "\n" for r in rows))
    write_manifest(out, "nwpu", plan, seed)
    return out


INFO = DatasetInfo(
    name="nwpu", title="NWPU-Crowd", kind="image", images=5109, heads=2_133_238,
    splits={"train": 3109, "val": 500, "test": 1500},
    resolution="mixed, up to several thousand pixels a side; 0-20,033 heads per image",
    paper_tables="XI (localization, val)",
    source="https://www.crowdbenchmark.com/nwpucrowd.html",
    licence="academic and non-commercial use only (dataset readme); images from the "
            "Internet, removed on request",
    expects="jsons/<id>.json and train.txt/val.txt (images/ or images_part*/)",
    facts_source="Wang et al., NWPU-Crowd, arXiv:2001.03360 (abstract; splits in Sec. 3)",
    top_level=(r"images(_part\d+)?", "jsons", "mats", r"(train|val|test)\.txt"),
    detect=detect, read=read_nwpu, synth=synth_nwpu)
