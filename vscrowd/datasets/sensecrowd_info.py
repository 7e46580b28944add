"""SenseCrowd: VSCrowd's videos as the video-counting literature publishes them
(docs/datasets.md, "SenseCrowd"), opened in that layout.

``ROOT/video_ori/<video>/<frame file>`` (the frames), ``ROOT/label_list_all/<video>.txt``
(per-frame label lines ``<frame file> <width> <height>`` then ``x1 y1 x2 y2 p1 p2 id`` per
head: :mod:`.sensecrowd`) and the split lists ``ROOT/{train,val,test}.txt`` (one video
name per line), as read by taohan10200/DRNet@3e81218:datasets/dataset.py
(``SENSE_ImgPath_and_Target``: ``osp.join(base_path, 'video_ori', i)`` and
``root.replace('video_ori', 'label_list_all') + '.txt'``; the lists in
datasets/setting/SENSE.py: ``TRAIN_LST = 'train.txt'``, ``VAL_LST``, ``TEST_LST``).

Choices: a frame is a label line (DRNet lists the images of ``video_ori`` and gives an
image without a label line no heads; here such an image is not a frame, and a label
line without its image is a missing image, warned about); the frame size is the label
line's (no image header is read); the head point is ``p1 p2`` and the box ``x1 y1 x2
y2``, as stored. The split of a video is the list that names it; a video no list names,
or a list naming a video without a label file, is an error naming them (never a guess).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import DatasetError
from .image_dataset import FrameColumns
from .info import DatasetInfo
from .sensecrowd import read_sensecrowd_many
from .splits import SPLIT_LIST_NAMES, read_split_file
from .video_dataset import VideoDataset

__all__ = ["INFO", "read_sensecrowd"]

LABELS, FRAMES = "label_list_all", "video_ori"
SPLITS = tuple(Path(n).stem for n in SPLIT_LIST_NAMES)  # train, val, test


def detect(root: Path) -> bool:
    folder = root / LABELS
    return folder.is_dir() and next(folder.glob("*.txt"), None) is not None


def _split_of(root: Path, videos: list[str]) -> dict[str, str]:
    """Each labelled video's split, from the lists in ROOT.

    Raises:
        DatasetError: no list, a listed video without labels, a video in two lists or
            in none (names them).
    """
    lists = [root / n for n in SPLIT_LIST_NAMES if (root / n).is_file()]
    if not lists:
        raise DatasetError(f"{root}: expected the split lists {list(SPLIT_LIST_NAMES)} next "
                           f"to {LABELS}/ (DRNet's SenseCrowd split)")
    split_of: dict[str, str] = {}
    for path in lists:
        split, names = read_split_file(path)
        unknown = sorted(set(names) - set(videos))
        if unknown:
            raise DatasetError(f"{path} lists {len(unknown)} video(s) without a "
                               f"{LABELS}/<video>.txt: {unknown[:3]}")
        for name in names:
            if split_of.setdefault(name, split) != split:
                raise DatasetError(f"video {name!r} is in two split lists "
                                   f"({split_of[name]}.txt and {path.name})")
    unlisted = [v for v in videos if v not in split_of]
    if unlisted:
        raise DatasetError(f"{len(unlisted)} video(s) of {root / LABELS} are in no split "
                           f"list: {unlisted[:3]}")
    return split_of


def read_sensecrowd(root: str | Path) -> VideoDataset:
    """Every labelled video of a SenseCrowd root, in split order, then name order."""
    root = Path(root)
    videos = sorted(p.stem for p in (root / LABELS).glob("*.txt"))
    split_of = _split_of(root, videos)
    videos.sort(key=lambda v: SPLITS.index(split_of[v]))  # stable: names within a split
    parsed = read_sensecrowd_many([root / LABELS / f"{v}.txt" for v in videos], videos)
    col: dict[str, list] = {k: [] for k in ("split", "image", "path", "size", "video")}
    for video, (p, files, sizes) in zip(videos, parsed):
        col["image"] += p.frames
        col["path"] += [f"{FRAMES}/{video}/{name}" for name in files]
        col["size"] += sizes
        col["split"] += [split_of[video]] * len(files)
        col["video"] += [video] * len(files)
    # The official column order: HeadID x1 y1 x2 y2 p1 p2.
    table = np.concatenate([p.table for p, _, _ in parsed]) if parsed else np.empty((0, 7))
    n_heads = np.concatenate([p.heads_per_line for p, _, _ in parsed]) if parsed \
        else np.empty(0, np.int64)
    columns = FrameColumns(col["split"], col["image"], col["path"], n_heads.astype(np.int64),
                           table[:, 5:7], table[:, 1:5], col["size"], col["video"],
                           ids=table[:, 0].astype(np.int64))
    return VideoDataset.from_columns(root, columns, name="sensecrowd", splits=SPLITS)


INFO = DatasetInfo(
    name="sensecrowd", title="SenseCrowd", kind="video", images=62_938, heads=2_344_276,
    splits={}, resolution="up to 1920x1080 (VSCrowd's videos)",
    paper_tables="none (the video-counting literature: DRNet, DAANet, CGNet, OMAN)",
    source="https://github.com/taohan10200/DRNet (dataset links in its README)",
    licence="as VSCrowd's: research use (see the dataset README)",
    expects="label_list_all/<video>.txt (SenseCrowd label lines), video_ori/<video>/"
            "<frame file>, train.txt/val.txt/test.txt",
    facts_source="VSCrowd's 634 videos, 62,938 frames and 2,344,276 heads (the GNANet "
                 "paper) under SenseCrowd's names; DRNet's split is 317/63/254 videos "
                 "(taohan10200/DRNet datasets/dataset_prepare/video_vis.py; lists "
                 "recognised by content: vscrowd.datasets.splits.identify_split)",
    top_level=(LABELS, FRAMES, r"(train|val|test)\.txt", "scene_label.txt"),
    detect=detect, read=read_sensecrowd)  # synth: vscrowd.synth.synthesize_sensecrowd
