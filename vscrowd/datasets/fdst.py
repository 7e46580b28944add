"""FDST (Fudan-ShanghaiTech) in its published layout (docs/datasets.md, "FDST").

``ROOT/{train_data,test_data}/<video>/<frame>.jpg`` with ``<frame>.json`` beside each
frame: a VGG Image Annotator (VIA) export, one object whose single value holds
``regions``, each region a head rectangle ``shape_attributes`` ``x, y, width, height``
(``name: "rect"``). As read by weizheliu/People-Flows@38eba7b:make_dataset.py (the code
of Liu et al., "Estimating People Flows to Better Count Them in Crowded Scenes", ECCV
2020, Table XII's EPF), which walks ``train_data``/``test_data``, their video folders
and each ``.jpg``'s ``.json`` and takes ``gt.values()[0]['regions']``; frames are
``%03d.jpg`` numbered 1-150 per video (People-Flows image.py).

Choices: the head box is ``(x, y, x + width, y + height)`` and the head point its
centre ``(x + width/2, y + height/2)`` -- People-Flows places its density dot at the
corner ``(x, y)`` instead; the centre is the point of a head box elsewhere in vscrowd
(VSCrowd, JHU-Crowd++, DroneCrowd's toolkit). Pixel values are kept as stored. A file
with several VIA entries, a region that is not a rectangle or lacks a field is an error
naming the file and field (never a guess). Splits: the published folders (60 train
videos, 40 test: sweetyy83/Lstn_fdst_dataset@b4c6e41:README.md).
"""

from __future__ import annotations

import json
import os
import warnings
from pathlib import Path
from typing import Literal

import msgspec
import numpy as np

from .._io import atomic_open
from .._parallel import fork_map
from .._text import read_bytes, read_json, read_small_files
from ..errors import AnnotationFormatError, VSCrowdWarning
from . import fastjson
from .image_dataset import FrameColumns, image_size
from .info import DatasetInfo
from .synth_images import prepare_out, write_image, write_manifest
from .synth_videos import as_images, plan_videos
from .values import locate_row, nonfinite_row
from .video_dataset import VideoDataset

__all__ = ["INFO", "read_fdst", "read_fdst_json", "synth_fdst"]

FOLDERS = {"train": "train_data", "test": "test_data"}
_RECT = ("x", "y", "width", "height")


def _num(name: str) -> tuple[int, str]:
    """Numeric names in numeric order (video ``2`` before ``10``), others after."""
    return (int(name), name) if name.isdigit() else (1 << 62, name)


def detect(root: Path) -> bool:
    return any(next((root / f).glob("*/*.json"), None) is not None
               for f in FOLDERS.values() if (root / f).is_dir())


class _Rect(msgspec.Struct, gc=False):  # gc=False: no cycles, nothing for the GC to track
    x: float
    y: float
    width: float
    height: float
    name: Literal["rect"] = "rect"  # anything else: the general reader names it


class _Region(msgspec.Struct, gc=False):
    shape_attributes: _Rect


class _Entry(msgspec.Struct, gc=False):
    regions: list[_Region] | dict[str, _Region]


_DECODER = msgspec.json.Decoder(dict[str, _Entry])


def read_fdst_json(path: Path) -> np.ndarray:
    """``(n, 4)`` float64 head boxes ``x1, y1, x2, y2`` of one frame's VIA JSON.

    Raises:
        AnnotationFormatError: not JSON, not one VIA entry with ``regions``, or a
            region that is not a rectangle with numeric ``x, y, width, height``
            (names the file and the field).
    """
    rects = _rects(fastjson.decode(_DECODER, read_bytes(path, AnnotationFormatError,
                                                        "FDST annotation")))
    boxes = _boxes(rects) if rects is not None else _read_general(path)
    _check_finite(path, boxes)
    return boxes


def _check_finite(path: Path, boxes: np.ndarray) -> None:
    """An error naming the first region with a NaN or an infinity (``1e400``)."""
    row = nonfinite_row(boxes)
    if row is not None:
        raise AnnotationFormatError(f"expected finite numbers, got the box "
                                    f"{boxes[row].tolist()} (x, y, x + width, y + height)",
                                    path=path, field=f"regions[{row}].shape_attributes")


def _rects(doc: dict[str, _Entry] | None) -> list[_Rect] | None:
    """The rectangles of a file the fast path decoded, None for anything unusual."""
    if doc is None or len(doc) != 1:
        return None
    regions = next(iter(doc.values())).regions
    if isinstance(regions, dict):  # VIA 1 writes regions as {"0": {...}, "1": ...}
        regions = regions.values()
    return [r.shape_attributes for r in regions]


def _boxes(rects: list[_Rect]) -> np.ndarray:
    """``(n, 4)`` float64 ``x, y, x + width, y + height`` of the rectangles."""
    # One list per field: a third faster than a tuple per rectangle chained together.
    n = len(rects)
    x = np.fromiter([r.x for r in rects], np.float64, n)
    y = np.fromiter([r.y for r in rects], np.float64, n)
    w = np.fromiter([r.width for r in rects], np.float64, n)
    h = np.fromiter([r.height for r in rects], np.float64, n)
    with np.errstate(over="ignore"):  # an infinity is the caller's located error
        return np.column_stack([x, y, x + w, y + h])


def _read_general(path: Path) -> np.ndarray:
    doc = read_json(path, AnnotationFormatError, "FDST annotation")
    if not isinstance(doc, dict) or len(doc) != 1:
        got = f"{len(doc)} entries" if isinstance(doc, dict) else type(doc).__name__
        raise AnnotationFormatError(f"expected one VIA entry {{\"<file><size>\": {{...}}}}, "
                                    f"got {got}", path=path, field="top level")
    entry = next(iter(doc.values()))
    regions = entry.get("regions") if isinstance(entry, dict) else None
    if isinstance(regions, dict):  # VIA 1 writes regions as {"0": {...}, "1": ...}
        regions = list(regions.values())
    if not isinstance(regions, list):
        raise AnnotationFormatError("expected a list of regions", path=path,
                                    field="regions")
    boxes = np.empty((len(regions), 4), np.float64)
    for i, region in enumerate(regions):
        shape = region.get("shape_attributes") if isinstance(region, dict) else None
        where = f"regions[{i}].shape_attributes"
        if not isinstance(shape, dict) or shape.get("name", "rect") != "rect":
            raise AnnotationFormatError("expected a rectangle (name \"rect\"), got "
                                        f"{shape!r}"[:120], path=path, field=where)
        vals = [shape.get(k) for k in _RECT]
        for k, v in zip(_RECT, vals):
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise AnnotationFormatError(f"expected a number, got {v!r}", path=path,
                                            field=f"{where}.{k}")
        x, y, w, h = (float(v) for v in vals)
        boxes[i] = (x, y, x + w, y + h)
    return boxes


def _read_video(here: Path, names: list[str]) -> tuple[np.ndarray, list[int]]:
    """The boxes of a video's frame files ``names`` (in that order) and each one's count.

    All files are read first, then decoded, then turned into one array: per file this
    leaves only the decode (a file of ~30 heads took longer to wrap in its own arrays
    than to decode; the rectangles of all videos at once longer again, out of cache).
    Any file the fast path does not take sends the video through
    :func:`read_fdst_json`, file by file, whose errors name the file and field.
    """
    rects, counts = [], []
    for doc in fastjson.decode_all(_DECODER, read_small_files(here, names)):
        got = _rects(doc)
        if got is None:
            boxes = [read_fdst_json(here / name) for name in names]
            return np.concatenate(boxes), [len(b) for b in boxes]
        rects += got
        counts.append(len(got))
    boxes = _boxes(rects)
    row = nonfinite_row(boxes)
    if row is not None:  # one check per video; the file found after
        k, at = locate_row(counts, row)
        start = row - at
        _check_finite(here / names[k], boxes[start:start + counts[k]])
    return boxes, counts


def _frame_sizes(here: Path, stems: list[str], has_image: list[bool]
                 ) -> list[tuple[int, int] | None]:
    """Each frame's size, from the first frame whose header reads (None before it and
    for frames without an image): a video's frames come from one camera stream (as
    VSCrowd's), so one header per video instead of one per frame."""
    size, sizes = None, []
    for stem, has in zip(stems, has_image):
        if has and size is None:
            size = image_size(here / f"{stem}.jpg")
        sizes.append(size if has else None)
    return sizes


def _frame_stems(names: set[str]) -> list[str]:
    """The stems of the ``.json`` names in numeric order. Names of equal length in ASCII
    digits (``001``..``150``, as published) sort as text to the same order, without a
    key per name."""
    stems = [n[:-5] for n in names if n.endswith(".json")]
    if stems and all(len(s) == len(stems[0]) for s in stems) \
            and "".join(stems).isascii() and "".join(stems).isdigit():
        return sorted(stems)
    return sorted(stems, key=_num)


#: Videos worth a worker process (vscrowd._parallel): the published FDST has 100.
_VIDEOS_PER_WORKER = 16


def _videos(base: Path) -> list[str]:
    """The video folders of a split folder in numeric order (none if it is missing)."""
    return sorted((d.name for d in base.iterdir() if d.is_dir()), key=_num) \
        if base.is_dir() else []


def _read_folder(here: Path) -> tuple[list[str], list[bool], np.ndarray, list[int]]:
    """One video folder: its frame stems in order, whether each has its ``.jpg``, the
    boxes of all its frames and each frame's count (one listing per video)."""
    names = {e.name for e in os.scandir(here) if e.is_file()}
    stems = _frame_stems(names)
    box, counts = _read_video(here, [f"{stem}.json" for stem in stems])
    return stems, [f"{stem}.jpg" in names for stem in stems], box, counts


def _warn_inverted(root: Path, paths: list[str], counts: list[int], box: np.ndarray
                   ) -> None:
    """One warning for rectangles of negative width or height (how many, the first
    one's file and region); kept, as JHU-Crowd++'s are: the VIA tool never writes them,
    so they point at a file edited or converted by hand."""
    bad = np.flatnonzero((box[:, 2] < box[:, 0]) | (box[:, 3] < box[:, 1]))
    if len(bad):
        k, at = locate_row(counts, int(bad[0]))
        x1, y1, x2, y2 = box[bad[0]].tolist()
        warnings.warn(f"{len(bad)} FDST region(s) with a negative width or height (first: "
                      f"{root / paths[k][:-4]}.json, regions[{at}].shape_attributes: x {x1:g}, "
                      f"y {y1:g}, width {x2 - x1:g}, height {y2 - y1:g}); kept",
                      VSCrowdWarning, stacklevel=4)


def read_fdst(root: str | Path) -> VideoDataset:
    """Both splits of an FDST root: videos and frames in numeric order."""
    root = Path(root)
    col: dict[str, list] = {k: [] for k in ("split", "image", "path", "size", "video",
                                            "n_heads", "box")}
    places = [(split, folder, video) for split, folder in FOLDERS.items()
              for video in _videos(root / folder)]
    # The videos' files in worker processes where there are CPUs for it (a folder of
    # 150 frame files is ~5 ms of work, a fork ~1 ms); errors and warnings still come
    # from this process, in video order (vscrowd._parallel).
    read = fork_map(_read_folder, [root / f / v for _, f, v in places],
                    min_items=_VIDEOS_PER_WORKER)
    for (split, folder, video), (stems, has_image, box, counts) in zip(places, read):
        col["box"].append(box)
        col["n_heads"] += counts
        col["size"] += _frame_sizes(root / folder / video, stems, has_image)
        col["split"] += [split] * len(stems)
        col["video"] += [video] * len(stems)
        col["image"] += stems
        col["path"] += [f"{folder}/{video}/{stem}.jpg" for stem in stems]
    boxes = col.pop("box")  # the per-video arrays freed once joined: a lower peak
    box = np.concatenate(boxes) if boxes else np.empty((0, 4))
    del boxes
    _warn_inverted(root, col["path"], col["n_heads"], box)
    columns = FrameColumns(col["split"], col["image"], col["path"],
                           np.array(col["n_heads"], np.int64), (box[:, :2] + box[:, 2:]) / 2,
                           box, col["size"], col["video"])
    return VideoDataset.from_columns(root, columns, name="fdst", splits=tuple(FOLDERS))


def synth_fdst(out: str | Path, seed: int = 0, overwrite: bool = False) -> Path:
    """A small FDST copy: 2 train + 1 test videos of 4 frames (320x180) in VIA JSON."""
    out = prepare_out(out, overwrite)
    frames = plan_videos(seed, {"train": 2, "test": 1})
    for f in frames:
        folder = out / FOLDERS[f.split] / f.video
        folder.mkdir(parents=True, exist_ok=True)
        image = folder / f"{f.index:03d}.jpg"
        write_image(image, f.size, f.xy, seed + f.index)
        name = image.name
        regions = [{"shape_attributes": {"name": "rect", "x": int(b[0]), "y": int(b[1]),
                                         "width": int(b[2] - b[0]),
                                         "height": int(b[3] - b[1])},
                    "region_attributes": {}} for b in f.box]
        size = image.stat().st_size  # VIA keys an entry by file name + file size
        doc = {f"{name}{size}": {"filename": name, "size": size, "regions": regions,
                                 "file_attributes": {}}}
        with atomic_open(folder / f"{f.index:03d}.json", "w") as fh:
            json.dump(doc, fh)
    write_manifest(out, "fdst", as_images(frames), seed)
    return out


INFO = DatasetInfo(
    name="fdst", title="FDST", kind="video", images=15_000, heads=394_081,
    splits={"train": 9000, "test": 6000},
    resolution="1920x1080 (Table I); 9-57 heads per frame",
    paper_tables="I, III (localization), X and XII (counting)",
    source="https://github.com/sweetyy83/Lstn_fdst_dataset (Baidu / Google Drive links)",
    licence="research use; no licence file is published with the dataset",
    expects="train_data/<video>/<frame>.json (VIA rectangles) beside <frame>.jpg, and "
            "test_data/",
    facts_source="sweetyy83/Lstn_fdst_dataset@b4c6e41:README.md (100 videos, 13 scenes, "
                 "394,081 heads; train 60 videos / 9,000 frames, test 40 / 6,000); the "
                 "GNANet paper's Table I (15,000 frames, 1920x1080)",
    top_level=("train_data", "test_data"),
    detect=detect, read=read_fdst, synth=synth_fdst)
