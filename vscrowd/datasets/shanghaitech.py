"""ShanghaiTech Part A and Part B in their published layout (docs/datasets.md).

``ROOT/{train_data,test_data}/images/IMG_<k>.jpg`` and
``ROOT/{train_data,test_data}/ground-truth/GT_IMG_<k>.mat``, where the ``.mat`` holds
``image_info``: a 1x1 cell with a struct whose ``location`` is the ``(n, 2)`` head
points ``(x, y)`` -- read as ``image_info[0][0][0][0][0]`` by Yiming-M/CLIP-EBC
``preprocess.py`` and svishwa/crowdcount-mcnn's preparation scripts. Coordinates are
kept as stored (MATLAB pixel coordinates, not shifted by 1: the published code uses
them unshifted). A root is one part (``part_A`` or ``part_B``); which one is told by
the number of images (300/182 vs 400/316) or the folder name, else by ``--dataset``.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .._io import atomic_open
from .._text import read_json
from ..errors import DatasetError, VSCrowdError
from .image_dataset import ImageDataset, ImageRecord
from .info import DatasetInfo
from .matfiles import read_mat_points
from .synth_images import MANIFEST, plan_images, prepare_out, write_image, write_manifest

__all__ = ["INFO_A", "INFO_B", "read_shanghaitech", "synth_shanghaitech"]

FOLDERS = {"train": "train_data", "test": "test_data"}
_NUM = re.compile(r"(\d+)$")


def _has_layout(root: Path) -> bool:
    # GT_IMG_<k>.mat: Venice has the same folders with <scene>_<frame>.mat inside
    return any(next((root / f / "ground-truth").glob("GT_IMG_*.mat"), None) is not None
               for f in FOLDERS.values() if (root / f / "ground-truth").is_dir())


def _part(root: Path) -> str | None:
    """``A`` or ``B`` from the folder name, the published train count or a synthetic
    copy's ``synth.json``; None when nothing says (both layouts then match, and opening
    the folder asks for ``--dataset``: never a guess)."""
    name = root.name.lower()
    for part in "ab":
        if name.endswith(f"part_{part}") or name.endswith(f"part{part}"):
            return part.upper()
    n = len(list((root / "train_data" / "ground-truth").glob("GT_IMG_*.mat")))
    return {300: "A", 400: "B"}.get(n) or _synth_part(root)


def _synth_part(root: Path) -> str | None:
    """The part a synthetic copy's manifest names (``vscrowd synth --flavour``)."""
    try:
        doc = read_json(root / MANIFEST, DatasetError, "synth manifest")
    except VSCrowdError:  # none, or unreadable: the manifest decides nothing
        return None
    dataset = doc.get("dataset") if isinstance(doc, dict) else None
    return {"shanghaitech_a": "A", "shanghaitech_b": "B"}.get(dataset)


def detect_a(root: Path) -> bool:
    return _has_layout(root) and _part(root) in ("A", None)


def detect_b(root: Path) -> bool:
    return _has_layout(root) and _part(root) in ("B", None)


def _key(path: Path) -> int:
    m = _NUM.search(path.stem)
    return int(m.group(1)) if m else -1


def read_shanghaitech(root: str | Path, name: str = "shanghaitech_a") -> ImageDataset:
    """Both splits of one ShanghaiTech part, images in numeric order."""
    root = Path(root)
    records = []
    for split, folder in FOLDERS.items():
        gt_dir = root / folder / "ground-truth"
        for mat in sorted(gt_dir.glob("GT_IMG_*.mat"), key=_key):
            image = mat.stem[len("GT_"):]
            pts = read_mat_points(mat, "image_info", nested=True)
            records.append(ImageRecord(split, image, f"{folder}/images/{image}.jpg", pts))
    return ImageDataset(root, records, name=name, splits=tuple(FOLDERS))


def _write_mat(path: Path, xy: np.ndarray) -> None:
    """``image_info``: a 1x1 cell holding a 1x1 struct (``location``, ``number``)."""
    from scipy.io import savemat

    struct = np.empty((1, 1), dtype=[("location", object), ("number", object)])
    struct[0, 0] = (xy.astype(np.float64), np.array([[float(len(xy))]]))
    cell = np.empty((1, 1), dtype=object)
    cell[0, 0] = struct
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_open(path, "wb") as fh:
        savemat(fh, {"image_info": cell})


def synth_shanghaitech(out: str | Path, seed: int = 0, overwrite: bool = False,
                       part: str = "A") -> Path:
    """A small ShanghaiTech part: 4 train + 3 test images (Part A denser)."""
    out = prepare_out(out, overwrite)
    heads = (40, 400) if part == "A" else (5, 80)
    plan = plan_images(seed, {"train": 4, "test": 3}, heads=heads, size=(320, 240))
    for im in plan:
        folder = FOLDERS[im.split]
        _write_mat(out / folder / "ground-truth" / f"GT_IMG_{im.index}.mat", im.xy)
        write_image(out / folder / "images" / f"IMG_{im.index}.jpg", im.size, im.xy,
                   seed + im.index)
    write_manifest(out, f"shanghaitech_{part.lower()}", plan, seed)
    return out


_COMMON = dict(
    kind="image", resolution="mixed (Part A); 1024x768 (Part B)",
    source="https://github.com/desenzhou/ShanghaiTechDataset (as linked by the MCNN "
           "authors, svishwa/crowdcount-mcnn)",
    licence="research use (no licence file is published with the archives)",
    facts_source="Zhang et al., Single-Image Crowd Counting via Multi-Column CNN, CVPR "
                 "2016 (Sec. 5.1); head totals as listed in GuoleiSun/Indiscernible-"
                 "Object-Counting@506f1ab README.md Table 1; split sizes as asserted by "
                 "Yiming-M/CLIP-EBC preprocess.py")
INFO_A = DatasetInfo(
    name="shanghaitech_a", title="ShanghaiTech Part A", images=482, heads=241_677,
    splits={"train": 300, "test": 182}, paper_tables="VI (localization), X (counting)",
    expects="train_data/ground-truth/GT_IMG_<k>.mat and test_data/... (part_A: 300 train)",
    top_level=tuple(FOLDERS.values()), within=r"part_?a(_final)?",
    detect=detect_a, matches=_has_layout, read=lambda r: read_shanghaitech(r, "shanghaitech_a"),
    synth=lambda out, seed=0, overwrite=False: synth_shanghaitech(out, seed, overwrite, "A"),
    **_COMMON)
INFO_B = DatasetInfo(
    name="shanghaitech_b", title="ShanghaiTech Part B", images=716, heads=88_488,
    splits={"train": 400, "test": 316}, paper_tables="VII (localization), X (counting)",
    expects="train_data/ground-truth/GT_IMG_<k>.mat and test_data/... (part_B: 400 train, "
            "or a folder named part_B)",
    top_level=tuple(FOLDERS.values()), within=r"part_?b(_final)?",
    detect=detect_b, matches=_has_layout, read=lambda r: read_shanghaitech(r, "shanghaitech_b"),
    synth=lambda out, seed=0, overwrite=False: synth_shanghaitech(out, seed, overwrite, "B"),
    **_COMMON)
