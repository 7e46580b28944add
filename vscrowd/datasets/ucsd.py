"""UCSD pedestrian counting (Chan, Liang, Vasconcelos, "Privacy preserving crowd
monitoring: Counting people without people models or tracking", CVPR 2008) in its
published layout (docs/datasets.md, "UCSD").

The SVCL people-counting page publishes the frames (``ucsdpeds_vidf.zip`` ->
``ucsdpeds/vidf/vidf1_33_<k>.y/vidf1_33_<k>_f<nnn>.png``, 238 x 158 greyscale) and the
ground truth of the CVPR set (``vidf-cvpr.zip`` -> ``vidf-cvpr/``): per clip
``vidf1_33_<k>_frame_full.mat`` whose ``frame`` is a 1 x 200 cell of structs with
``loc``, the people of that frame as rows ``x, y, z`` (MATLAB ``frame{t}.loc``), and
``vidf1_33_roi_mainwalkway.mat`` whose ``roi.mask`` is the 158 x 238 region of
interest. The root is the folder holding both ``ucsdpeds/`` and ``vidf-cvpr/``. The
CVPR protocol trains on frames 601-1400 (clips 003-006) and tests on the other 1,200.

Choices: the video is the clip (``vidf1_33_003``), the frame its own number (``001``);
the third ``loc`` column is dropped; points are kept as stored (MATLAB pixel
coordinates) and every annotated person is a head, in the ROI or not (the protocol
counts inside the ROI: ``roi_heads`` is that count, a frame column, and
:func:`roi_mask` the mask); no boxes; no track IDs (``*_people_full.mat`` groups the
same points per person: not read).
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .._io import atomic_open
from .image_dataset import ImageRecord
from .info import DatasetInfo
from .matfiles import read_mat_mask, read_struct_cells
from .roi import heads_inside
from .synth_images import plan_images, prepare_out, write_image, write_manifest
from .video_dataset import VideoDataset

__all__ = ["INFO", "TRAIN_CLIPS", "read_ucsd", "roi_mask", "synth_ucsd"]

GT = "vidf-cvpr"
FRAMES = "ucsdpeds/vidf"
ROI = "vidf1_33_roi_mainwalkway.mat"
SIZE = (238, 158)
TRAIN_CLIPS = range(3, 7)  # frames 601-1400 of the CVPR protocol
_CLIP = re.compile(r"^(vidf1_33_(\d{3}))_frame_full$")


def _gts(root: Path) -> list[tuple[str, int, Path]]:
    folder = root / GT
    if not folder.is_dir():
        return []
    found = [(m.group(1), int(m.group(2)), p) for p in folder.glob("*_frame_full.mat")
             if (m := _CLIP.match(p.stem))]
    return sorted(found, key=lambda t: t[1])


def detect(root: Path) -> bool:
    return bool(_gts(root)) and (root / FRAMES).is_dir()


def roi_mask(root: str | Path) -> np.ndarray | None:
    """The 158 x 238 bool region of interest (``roi.mask``), or None when the root has
    no ``vidf1_33_roi_mainwalkway.mat``."""
    path = Path(root) / GT / ROI
    return read_mat_mask(path, "roi", "mask") if path.is_file() else None


def read_ucsd(root: str | Path) -> VideoDataset:
    """Every annotated clip of a UCSD root, frames in order."""
    root = Path(root)
    roi = roi_mask(root)
    records = []
    for clip, k, mat in _gts(root):
        split = "train" if k in TRAIN_CLIPS else "test"
        for t, xy in enumerate(read_struct_cells(mat, "frame", "loc", widths=(3, 2)),
                               start=1):
            labels = {} if roi is None else {"roi_heads": heads_inside(roi, xy)}
            records.append(ImageRecord(split, f"{t:03d}", f"{FRAMES}/{clip}.y/{clip}_f{t:03d}.png",
                                       xy, labels=labels, video=clip))
    return VideoDataset(root, records, name="ucsd", splits=("train", "test"))


def synth_ucsd(out: str | Path, seed: int = 0, overwrite: bool = False) -> Path:
    """A small UCSD copy at the real 238 x 158: clips 003 and 004 (training) and 007
    (test), 4 frames each, with the ROI file."""
    from scipy.io import savemat

    out = prepare_out(out, overwrite)
    clips = {"train": (3, 4), "test": (7,)}
    plan = plan_images(seed, {"train": 8, "test": 4}, size=SIZE, heads=(11, 46))
    (out / GT).mkdir(parents=True, exist_ok=True)
    for split, numbers in clips.items():
        ims = [im for im in plan if im.split == split]
        per_clip = -(-len(ims) // len(numbers))  # the split's frames, clip by clip
        for part, clip_no in enumerate(numbers):
            _write_clip(out, f"vidf1_33_{clip_no:03d}",
                        ims[part * per_clip:(part + 1) * per_clip], seed)
    mask = np.zeros((SIZE[1], SIZE[0]), np.uint8)
    mask[20:140, 30:200] = 1
    with atomic_open(out / GT / ROI, "wb") as fh:
        savemat(fh, {"roi": {"mask": mask}})
    write_manifest(out, "ucsd", plan, seed)
    return out


def _write_clip(out: Path, clip: str, frames: list, seed: int) -> None:
    """One clip's frames (PNG) and its ``_frame_full.mat``."""
    from scipy.io import savemat

    cells = np.empty((1, len(frames)), dtype=object)
    for t, im in enumerate(frames, start=1):
        z = np.ones((len(im.xy), 1))  # the third column, dropped by the reader
        cells[0, t - 1] = {"loc": np.hstack([im.xy, z])}
        write_image(out / FRAMES / f"{clip}.y" / f"{clip}_f{t:03d}.png", im.size, im.xy,
                    seed + im.index)
    with atomic_open(out / GT / f"{clip}_frame_full.mat", "wb") as fh:
        savemat(fh, {"frame": cells})


INFO = DatasetInfo(
    name="ucsd", title="UCSD", kind="video", images=2000, heads=49_885,
    splits={"train": 800, "test": 1200}, resolution="238x158; 11-46 heads per frame",
    paper_tables="I (dataset comparison only)",
    source="http://www.svcl.ucsd.edu/projects/peoplecnt/ (ucsdpeds_vidf.zip, "
           "vidf-cvpr.zip)",
    licence="research use (see the dataset page)",
    expects="vidf-cvpr/vidf1_33_<k>_frame_full.mat (frame{t}.loc) beside "
            "ucsdpeds/vidf/vidf1_33_<k>.y/vidf1_33_<k>_f<t>.png",
    facts_source="Chan et al., CVPR 2008 (2,000 frames of vidf1_33_000-009, frames "
                 "601-1400 for training); heads and range from the GNANet paper's Table I",
    top_level=("ucsdpeds", "vidf-cvpr"),
    detect=detect, read=read_ucsd, synth=synth_ucsd)
