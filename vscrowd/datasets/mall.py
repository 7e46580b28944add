"""Mall (Chen, Loy, Gong, Xiang, BMVC 2012) in its published layout
(docs/datasets.md, "Mall").

The archive ``mall_dataset.zip`` unpacks to ``mall_dataset/`` (the root): frames
``frames/seq_<k>.jpg`` (``%06d``, 1-based, 2,000 frames of one camera) and
``mall_gt.mat`` with ``count`` (2000 x 1, heads per frame) --
google-deepmind/dm_nevis@7dc53a2:dm_nevis/datasets_storage/handlers/mall.py, which also
states the paper's split: the first 800 frames for training, the rest for testing. The
head points are ``frame{k}.loc`` (n x 2, ``x, y``) of the same file, as the dataset's own
``demo.m`` plots them on ``seq_%.6d.jpg`` (a copy at
guohaoyu110/Crowd-Density-Estimation@1b8cf0e:mall_dataset/demo.m; create_density.m
there also reads ``perspective_roi.mat``'s ``roi.mask``, which vscrowd does not use).

Choices: points are kept as stored (MATLAB pixel coordinates, as ``demo.m`` plots them);
no boxes (zero-size boxes at the point) and no track IDs. The one sequence is two videos,
``mall_train`` (frames 1-800) and ``mall_test`` (801-2000), so each split is a video of
consecutive frames and no clip crosses the split; frames are the image numbers
(``000001``). ``count`` becomes the frame column ``count``; one that is not the number of
points is warned of (the points are kept, as NWPU-Crowd's ``human_num``).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from .._io import atomic_open
from ..errors import AnnotationFormatError, VSCrowdWarning
from .image_dataset import ImageRecord
from .info import DatasetInfo
from .matfiles import load_mat_variable, read_struct_cells
from .synth_images import plan_images, prepare_out, write_image, write_manifest
from .video_dataset import VideoDataset

__all__ = ["INFO", "TRAIN_FRAMES", "read_mall", "read_mall_gt", "synth_mall"]

GT = "mall_gt.mat"
TRAIN_FRAMES = 800  # the paper's split (dm_nevis's handler, above)


def detect(root: Path) -> bool:
    return (root / GT).is_file() and (root / "frames").is_dir()


def read_mall_gt(path: Path) -> tuple[list[np.ndarray], np.ndarray | None]:
    """``(points per frame, counts or None)`` of ``mall_gt.mat``: ``frame{k}.loc``
    (k = 1..n) and ``count`` (int64; None when the file has no ``count``).

    Raises:
        AnnotationFormatError: ``frame`` missing, not a cell of structs with ``loc``,
            a ``loc`` that is not (n, 2) numeric, or a ``count`` that is not whole
            numbers >= 0 (names the file, ``frame{k}.loc`` or ``count`` and its row).
    """
    points = read_struct_cells(path, "frame", "loc", widths=(2,))
    try:
        count = np.asarray(load_mat_variable(path, "count")).ravel()
    except AnnotationFormatError:
        return points, None  # the counts are a convenience: the points are the annotation
    if count.dtype.kind not in "iuf":
        raise AnnotationFormatError(f"expected numbers, got {count.dtype}", path=path,
                                    field="count")
    with np.errstate(invalid="ignore"):  # past 2**53 a float no longer holds every whole
        bad = ~np.isfinite(count) | (count < 0) | (count != np.round(count)) \
            | (count > 2**53)
    if bad.any():
        row = int(np.argmax(bad))
        raise AnnotationFormatError(f"expected whole numbers from 0 to 2**53, got "
                                    f"{count[row].item()!r} in row {row + 1}", path=path,
                                    field="count")
    return points, count.astype(np.int64)


def _check_counts(path: Path, points: list[np.ndarray], count: np.ndarray) -> None:
    """One warning when ``count`` is not the number of points of each frame (the points
    are the annotation and are kept), as NWPU-Crowd's ``human_num`` is checked."""
    n = min(len(count), len(points))
    found = np.array([len(p) for p in points[:n]], np.int64)
    off = np.flatnonzero(count[:n] != found)
    notes = []
    if len(off):
        k = int(off[0])
        notes.append(f"count differs from the points in {len(off)} frame(s) (first: frame "
                     f"{k + 1}, count {int(count[k])}, {int(found[k])} points)")
    if len(count) != len(points):
        notes.append(f"count has {len(count)} entries for {len(points)} frames")
    if notes:
        warnings.warn(f"{path}: {'; '.join(notes)} (the points are kept)", VSCrowdWarning,
                      stacklevel=3)


def read_mall(root: str | Path) -> VideoDataset:
    """The 2,000 (or however many are annotated) frames of a Mall root, in order."""
    root = Path(root)
    points, count = read_mall_gt(root / GT)
    if count is not None:
        _check_counts(root / GT, points, count)
    records = []
    for k, xy in enumerate(points, start=1):
        split = "train" if k <= TRAIN_FRAMES else "test"
        labels = {} if count is None or k > len(count) else {"count": int(count[k - 1])}
        records.append(ImageRecord(split, f"{k:06d}", f"frames/seq_{k:06d}.jpg", xy,
                                   labels=labels, video=f"mall_{split}"))
    return VideoDataset(root, records, name="mall", splits=("train", "test"))


def synth_mall(out: str | Path, seed: int = 0, overwrite: bool = False) -> Path:
    """A small-framed Mall copy: 804 frames of 160x120 (so the published split gives
    800 train and 4 test frames) and their ``mall_gt.mat``."""
    from scipy.io import savemat

    out = prepare_out(out, overwrite)
    plan = plan_images(seed, {"train": TRAIN_FRAMES, "test": 4}, size=(160, 120),
                       heads=(13, 53))
    cells = np.empty((1, len(plan)), dtype=object)
    for i, im in enumerate(plan):
        cells[0, i] = {"loc": im.xy.astype(np.float64)}
        write_image(out / "frames" / f"seq_{im.index:06d}.jpg", im.size, im.xy,
                   seed + im.index)
    with atomic_open(out / GT, "wb") as fh:
        savemat(fh, {"frame": cells, "count": np.array([[len(im.xy)] for im in plan],
                                                        np.float64)})
    write_manifest(out, "mall", plan, seed)
    return out


INFO = DatasetInfo(
    name="mall", title="Mall", kind="video", images=2000, heads=62_316,
    splits={"train": 800, "test": 1200}, resolution="640x480; 13-53 heads per frame",
    paper_tables="I (dataset comparison only)",
    source="https://personal.ie.cuhk.edu.hk/~ccloy/downloads_mall_dataset.html "
           "(mall_dataset.zip)",
    licence="research use (see the dataset page)",
    expects="mall_gt.mat (frame{k}.loc, count) beside frames/seq_<k>.jpg",
    facts_source="google-deepmind/dm_nevis@7dc53a2 mall.py (2,000 frames, first 800 "
                 "train); heads, resolution and range from the GNANet paper's Table I",
    top_level=("frames", "mall_gt.mat", "perspective_roi.mat"),
    detect=detect, read=read_mall, synth=synth_mall)
