"""Venice (Liu, Salzmann, Fua, "Context-Aware Crowd Counting", CVPR 2019) in its
published layout (docs/datasets.md, "Venice").

``ROOT/{train_data,test_data}/images/<scene>_<frame>.jpg`` with
``ROOT/{train_data,test_data}/ground-truth/<scene>_<frame>.mat`` beside them; each
``.mat`` holds ``annotation``, the ``(n, 2)`` head points ``(x, y)``, and ``roi``, the
720 x 1280 region-of-interest mask of that frame. The authors publish no loader (their
CAN repository reads ShanghaiTech only); this is the layout two independent published
Venice loaders read (one ``loadmat(...)['annotation']`` / ``['roi']`` from
``{train,test}_data/ground-truth``, the other ``data['annotation']`` / ``data['roi']``
with an h5py fallback, and both name frames ``<scene>_<frame>``, scene 4896 being the
training sequence). The CAN paper: "4 different sequences and in total 167 annotated
frames with fixed 1,280 x 720 resolution ... 80 images from a single long sequence are
taken as training data, and we use the remaining 3 sequences for testing".

Choices: the video is the scene (``4896``), the frame its own number (``000060``);
points are kept as stored (MATLAB pixel coordinates, as the loaders use them); no boxes
and no track IDs. The ROI is a per-frame label: ``roi_heads`` (heads inside the mask)
as a frame column, and the mask itself from :func:`roi_mask`; a mask of another size
than its image is warned of (one warning: how many, the first).
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from .._io import atomic_open
from ..errors import VSCrowdWarning
from .image_dataset import ImageRecord, image_size
from .info import DatasetInfo
from .matfiles import load_mat_variables, read_mat_mask, read_mat_points
from .roi import heads_inside
from .synth_images import plan_images, prepare_out, write_image, write_manifest
from .video_dataset import VideoDataset

__all__ = ["INFO", "read_venice", "roi_mask", "synth_venice"]

FOLDERS = {"train": "train_data", "test": "test_data"}
GT = "ground-truth"
_NAME = re.compile(r"^(\d+)_(\d+)$")


def _mats(root: Path, split: str) -> list[Path]:
    folder = root / FOLDERS[split] / GT
    return [m for m in folder.glob("*.mat") if _NAME.match(m.stem)] if folder.is_dir() else []


def detect(root: Path) -> bool:
    return any(_mats(root, s) for s in FOLDERS)


def roi_mask(ds, video: str, frame: str) -> np.ndarray:
    """The ``(height, width)`` bool region-of-interest mask of one Venice frame (its
    ``.mat``'s ``roi``)."""
    image = ds.image_path(video, frame)  # <split>_data/images/<scene>_<frame>.jpg
    return read_mat_mask(image.parent.parent / GT / f"{image.stem}.mat", "roi")


def read_venice(root: str | Path) -> VideoDataset:
    """Both splits of a Venice root: each scene a video, frames in numeric order."""
    root = Path(root)
    records, odd = [], []
    for split, folder in FOLDERS.items():
        mats = sorted(_mats(root, split), key=lambda m: tuple(map(int, m.stem.split("_"))))
        for mat in mats:
            scene, frame = _NAME.match(mat.stem).groups()
            loaded = load_mat_variables(mat, ("annotation", "roi"))  # one read of the file
            xy = read_mat_points(mat, "annotation", loaded=loaded)
            roi = read_mat_mask(mat, "roi", loaded=loaded)
            path = f"{folder}/images/{mat.stem}.jpg"
            size = image_size(root / path)  # here, not in the tables: one header read
            if size is not None and roi.shape != size[::-1]:
                odd.append(f"{mat}: roi {roi.shape[1]}x{roi.shape[0]}, image "
                           f"{size[0]}x{size[1]}")
            records.append(ImageRecord(split, frame, path, xy, size=size,
                                       labels={"roi_heads": heads_inside(roi, xy)},
                                       video=scene))
    if odd:
        warnings.warn(f"{len(odd)} Venice ROI mask(s) of another size than their image "
                      f"(first: {odd[0]}); roi_heads counts the points on the mask as "
                      "stored", VSCrowdWarning, stacklevel=3)
    return VideoDataset(root, records, name="venice", splits=tuple(FOLDERS))


def synth_venice(out: str | Path, seed: int = 0, overwrite: bool = False) -> Path:
    """A small Venice copy at 320 x 180: scene 4896 (6 frames) for training, scene 4895
    (4 frames) for testing, each ``.mat`` with ``annotation`` and a ``roi`` mask."""
    from scipy.io import savemat

    out = prepare_out(out, overwrite)
    plan = plan_images(seed, {"train": 6, "test": 4}, size=(320, 180), heads=(20, 120))
    number = {"train": 0, "test": 0}
    for im in plan:
        number[im.split] += 1  # frames every 60, as the published ones
        scene = "4896" if im.split == "train" else "4895"
        stem = f"{scene}_{60 * number[im.split]:06d}"
        folder = out / FOLDERS[im.split]
        (folder / GT).mkdir(parents=True, exist_ok=True)
        roi = np.ones((im.size[1], im.size[0]), np.uint8)
        roi[: im.size[1] // 4] = 0  # the sky: out of the region of interest
        with atomic_open(folder / GT / f"{stem}.mat", "wb") as fh:
            savemat(fh, {"annotation": im.xy.astype(np.float64), "roi": roi})
        write_image(folder / "images" / f"{stem}.jpg", im.size, im.xy, seed + im.index)
    write_manifest(out, "venice", plan, seed)
    return out


INFO = DatasetInfo(
    name="venice", title="Venice", kind="video", images=167, heads=35_902,
    splits={"train": 80, "test": 87}, resolution="1280x720; 86-421 heads per frame",
    paper_tables="IV (localization)",
    source="https://sites.google.com/view/weizheliu/home/projects/context-aware-crowd-"
           "counting (the CAN authors' page; venice.zip)",
    licence="research use (see the dataset page)",
    expects="train_data/ground-truth/<scene>_<frame>.mat (annotation, roi) beside "
            "train_data/images/<scene>_<frame>.jpg, and test_data/",
    facts_source="Liu, Salzmann, Fua, Context-Aware Crowd Counting, CVPR 2019 (167 "
                 "frames, 1280x720, 80 training frames of one sequence, 3 test "
                 "sequences); heads and range from the GNANet paper's Table I",
    top_level=("train_data", "test_data"),
    detect=detect, read=read_venice, synth=synth_venice)
