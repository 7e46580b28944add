"""DroneCrowd (full version) in its published layout (docs/datasets.md, "DroneCrowd").

``ROOT/annotations/<seq>.mat`` (``%05d``) holds ``anno``, one row per head and frame
``[frame, id, x1, y1, x2, y2]`` with ``frame`` 0-based; the frames are
``ROOT/{train,val,test}_data/images/img<SSS><FFF>.jpg`` (sequence ``%03d``, frame
``%03d`` 1-based, 300 per sequence) and ``ROOT/testlist.txt`` lists the test sequences.
All as in the official toolkit, VisDrone/DroneCrowd@3d25637:
STNNet/DroneCrowd-VID-toolkit/utils/saveAnnoRes.m (``tmp.anno``, ``anno(:,1)+1``),
utils/displaySeq.m (``sprintf('img%03d%03d.jpg', seqID, idFr)``), evalVID.m
(``annotations\\``, ``testlist.txt``, ``test_data\\images\\``), and the data folders of
STNNet/README.md.

Choices: the head point is the box centre ``((x1 + x2)/2, (y1 + y2)/2)``, the point the
toolkit scores (utils/evalRes.m ``posgt``); boxes and pixel values are kept as stored;
``id`` is the track ID (``head_id``). A sequence's video name is its annotation file's
stem (``00011``), its frames ``001``-``300`` (the image names' 1-based numbers). A
sequence's split is the ``<split>_data/images`` folder holding its frames; a sequence
without frames there is ``test`` when ``testlist.txt`` lists it, else ``train``.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np

from .._io import atomic_open
from .._text import read_text
from ..errors import AnnotationFormatError, VSCrowdWarning
from .image_dataset import ImageRecord
from .info import DatasetInfo
from .matfiles import read_mat_array
from .synth_images import prepare_out, write_image, write_manifest
from .synth_videos import as_images, plan_videos
from .video_dataset import VideoDataset

__all__ = ["INFO", "read_dronecrowd", "synth_dronecrowd"]

SPLITS = ("train", "val", "test")
_IMAGE = re.compile(r"img(\d{3})(\d{3})\.jpg$")


def detect(root: Path) -> bool:
    return (next((root / "annotations").glob("*.mat"), None) is not None
            and any((root / f"{s}_data" / "images").is_dir() for s in SPLITS))


def _frames_on_disk(root: Path) -> dict[int, tuple[str, set[int]]]:
    """``{sequence number: (split, frame numbers)}`` from the image names."""
    out: dict[int, tuple[str, set[int]]] = {}
    for split in SPLITS:
        folder = root / f"{split}_data" / "images"
        for p in folder.glob("img*.jpg") if folder.is_dir() else ():
            m = _IMAGE.match(p.name)
            if m:
                out.setdefault(int(m.group(1)), (split, set()))[1].add(int(m.group(2)))
    return out


def _test_list(root: Path) -> set[int]:
    path = root / "testlist.txt"
    if not path.is_file():
        return set()
    out = set()
    for no, line in enumerate(read_text(path, AnnotationFormatError, "sequence list")
                              .splitlines(), start=1):
        if line.strip():
            try:
                out.add(int(float(line.strip())))  # MATLAB load() reads it as numbers
            except ValueError:
                raise AnnotationFormatError(f"expected a sequence number, got "
                                            f"{line.strip()!r}", path=path, line=no) from None
    return out


def _sequence(root: Path, mat: Path, split: str, on_disk: set[int]) -> list[ImageRecord]:
    """One sequence's frames (annotated or on disk), in frame order."""
    anno = read_mat_array(mat, "anno", 6)
    frame = anno[:, 0]
    if len(frame) and (frame.min() < 0 or not np.array_equal(frame, np.round(frame))):
        raise AnnotationFormatError("expected 0-based integer frame numbers in column 1",
                                    path=mat, field="anno")
    ids = anno[:, 1]
    if not np.array_equal(ids, np.round(ids)):
        row = int(np.flatnonzero(ids != np.round(ids))[0])
        raise AnnotationFormatError(f"expected whole-number track IDs in column 2, got "
                                    f"{ids[row]:g} in row {row + 1}", path=mat, field="anno")
    _warn_repeated_pairs(mat, anno)
    seq = int(mat.stem)
    anno = anno[np.argsort(frame, kind="stable")]  # rows grouped by frame, file order kept
    frames = anno[:, 0].astype(np.int64) + 1
    records = []
    for k in sorted(set(frames.tolist()) | on_disk):
        lo, hi = np.searchsorted(frames, [k, k + 1])
        box = anno[lo:hi, 2:6]
        records.append(ImageRecord(split, f"{k:03d}",
                                   f"{split}_data/images/img{seq:03d}{k:03d}.jpg",
                                   (box[:, :2] + box[:, 2:]) / 2, box, video=mat.stem,
                                   ids=anno[lo:hi, 1].astype(np.int64)))
    return records


def _warn_repeated_pairs(mat: Path, anno: np.ndarray) -> None:
    """One warning for rows that repeat a (frame, track ID) pair -- one person twice in
    a frame, which the tracking metrics cannot score as a track; the rows are kept."""
    order = np.lexsort((anno[:, 1], anno[:, 0]))
    pairs = anno[order, :2]
    again = np.flatnonzero((pairs[1:] == pairs[:-1]).all(1)) + 1
    if len(again):
        first = int(order[again].min())  # the first repeat in file order
        frame, track = anno[first, :2].astype(np.int64).tolist()
        warnings.warn(f"{mat}: {len(again)} row(s) of anno repeat a (frame, track ID) pair "
                      f"(first: row {first + 1}, frame {frame} of the file, {frame + 1:03d} "
                      f"in vscrowd, ID {track}); kept",
                      VSCrowdWarning, stacklevel=4)


def read_dronecrowd(root: str | Path) -> VideoDataset:
    """Every annotated sequence of a DroneCrowd root, in sequence number order."""
    root = Path(root)
    disk, tests = _frames_on_disk(root), _test_list(root)
    records = []
    mats = [m for m in (root / "annotations").glob("*.mat") if m.stem.isdigit()]
    for mat in sorted(mats, key=lambda m: int(m.stem)):
        seq = int(mat.stem)
        split, frames = disk.get(seq, ("test" if seq in tests else "train", set()))
        records += _sequence(root, mat, split, frames)
    # Frames in split order, as the videos table lists them (sequences stay in order).
    records.sort(key=lambda r: SPLITS.index(r.split))
    return VideoDataset(root, records, name="dronecrowd", splits=SPLITS)


def synth_dronecrowd(out: str | Path, seed: int = 0, overwrite: bool = False) -> Path:
    """A small DroneCrowd copy: 2 train + 1 val + 1 test sequences of 4 frames."""
    from scipy.io import savemat

    out = prepare_out(out, overwrite)
    names = {"train": ["00001", "00002"], "val": ["00003"], "test": ["00004"]}
    frames = plan_videos(seed, {s: len(v) for s, v in names.items()}, names=names,
                         size=(480, 270), heads=(20, 120))
    (out / "annotations").mkdir(exist_ok=True)
    for video in dict.fromkeys(f.video for f in frames):
        mine = [f for f in frames if f.video == video]
        rows = [np.column_stack([np.full(len(f.ids), f.index - 1), f.ids, f.box])
                for f in mine]
        with atomic_open(out / "annotations" / f"{video}.mat", "wb") as fh:
            savemat(fh, {"anno": np.concatenate(rows).astype(np.float64)})
        for f in mine:
            write_image(out / f"{f.split}_data" / "images" /
                       f"img{int(video):03d}{f.index:03d}.jpg", f.size, f.xy, seed + f.index)
    with atomic_open(out / "testlist.txt", "w") as fh:
        fh.write("".join(f"{int(v)}\n" for v in names["test"]))
    write_manifest(out, "dronecrowd", as_images(frames), seed)
    return out


INFO = DatasetInfo(
    name="dronecrowd", title="DroneCrowd", kind="video", images=33_600, heads=4_864_280,
    splits={"train": 24_600, "test": 9_000},
    resolution="1920x1080; 25-455 heads per frame (Table I)",
    paper_tables="I, V (localization)",
    source="https://github.com/VisDrone/DroneCrowd (Baidu / Google Drive links)",
    licence="research use (see the repository README); drone videos of public scenes",
    expects="annotations/<seq>.mat (anno: frame id x1 y1 x2 y2) and "
            "{train,val,test}_data/images/img<SSS><FFF>.jpg",
    facts_source="VisDrone/DroneCrowd@3d25637:README.md (112 clips, 33,600 frames at "
                 "1920x1080, 20,800 trajectories); heads from the GNANet paper's Table I; "
                 "splits are the README's 82 training / 30 test sequences x 300 frames "
                 "(stated there for the challenge version; not re-read for the full one)",
    top_level=("annotations", r"(train|val|test)_data", "testlist.txt"),
    detect=detect, read=read_dronecrowd, synth=synth_dronecrowd)
