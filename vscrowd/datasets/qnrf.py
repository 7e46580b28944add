"""UCF-QNRF in its published layout (docs/datasets.md, "UCF-QNRF").

``ROOT/Train/img_<k>.jpg`` with ``ROOT/Train/img_<k>_ann.mat`` beside it, and the same
under ``ROOT/Test``; the ``.mat`` holds ``annPoints``, the ``(n, 2)`` head points
``(x, y)`` (read as ``loadmat(...)["annPoints"]`` by Yiming-M/CLIP-EBC ``preprocess.py``
and cvlab-stonybrook/DM-Count). Coordinates are kept as stored (MATLAB pixel
coordinates, not shifted by 1, as the published code uses them).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .._io import atomic_open
from .image_dataset import ImageDataset, ImageRecord
from .info import DatasetInfo
from .matfiles import read_mat_points
from .synth_images import plan_images, prepare_out, write_image, write_manifest

__all__ = ["INFO", "read_qnrf", "synth_qnrf"]

FOLDERS = {"train": "Train", "test": "Test"}
_NUM = re.compile(r"img_(\d+)_ann$")


def detect(root: Path) -> bool:
    return any(next((root / f).glob("img_*_ann.mat"), None) is not None
               for f in FOLDERS.values() if (root / f).is_dir())


def read_qnrf(root: str | Path) -> ImageDataset:
    """Both splits of a UCF-QNRF root, images in numeric order."""
    root = Path(root)
    records = []
    for split, folder in FOLDERS.items():
        mats = [m for m in (root / folder).glob("img_*_ann.mat") if _NUM.search(m.stem)]
        for mat in sorted(mats, key=lambda m: int(_NUM.search(m.stem).group(1))):
            image = mat.stem[: -len("_ann")]
            records.append(ImageRecord(split, image, f"{folder}/{image}.jpg",
                                       read_mat_points(mat, "annPoints")))
    return ImageDataset(root, records, name="qnrf", splits=tuple(FOLDERS))


def synth_qnrf(out: str | Path, seed: int = 0, overwrite: bool = False) -> Path:
    """A small UCF-QNRF copy: 4 train + 2 test images, the first with 10,000 heads."""
    from scipy.io import savemat

    out = prepare_out(out, overwrite)
    plan = plan_images(seed, {"train": 4, "test": 2}, heads=(50, 600), dense=10_000)
    for im in plan:
        folder = out / FOLDERS[im.split]
        folder.mkdir(exist_ok=True)
        with atomic_open(folder / f"img_{im.index:04d}_ann.mat", "wb") as fh:
            savemat(fh, {"annPoints": im.xy.astype(np.float64)})
        write_image(folder / f"img_{im.index:04d}.jpg", im.size, im.xy, seed + im.index)
    write_manifest(out, "qnrf", plan, seed)
    return out


INFO = DatasetInfo(
    name="qnrf", title="UCF-QNRF", kind="image", images=1535, heads=1_251_642,
    splits={"train": 1201, "test": 334},
    resolution="mixed, up to 6666x9999; 49-12,865 heads per image",
    paper_tables="VIII (localization), IX (Idrees et al.'s metric)",
    source="https://www.crcv.ucf.edu/data/ucf-qnrf/",
    licence="research use (see the dataset page); images from the Internet",
    expects="Train/img_<k>_ann.mat (annPoints) beside Train/img_<k>.jpg, and Test/",
    facts_source="Idrees et al., Composition Loss for Counting, Density Map Estimation "
                 "and Localization in Dense Crowds, ECCV 2018 (Table 1; heads as listed in "
                 "GuoleiSun/Indiscernible-Object-Counting@506f1ab README.md Table 1); split "
                 "sizes as asserted by Yiming-M/CLIP-EBC preprocess.py",
    top_level=("Train", "Test"),
    detect=detect, read=read_qnrf, synth=synth_qnrf)
