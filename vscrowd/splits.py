"""Split list files and scene labels (the "SenseCrowd" flavour of the dataset).

The video-counting literature (DRNet, DAANet, CGNet) distributes the same videos as
*SenseCrowd* with split lists -- ``train.txt``, ``val.txt``, ``test.txt`` holding one
video name per line (497 / 95 / 42 videos; val and test both drawn from ``test_*``) --
and a ``scene_label.txt`` whose lines are ``<video> <int label> <int label> ...``.
"""

from __future__ import annotations

from pathlib import Path

from .errors import DatasetError

__all__ = ["SPLIT_LIST_NAMES", "find_split_files", "read_scene_labels", "read_split_file",
           "split_from_name"]

#: Split list files looked for in a dataset root when no ``split_files`` are given.
SPLIT_LIST_NAMES = ("train.txt", "val.txt", "test.txt")


def split_from_name(video: str) -> str:
    """The official split of a video from its name prefix.

    >>> split_from_name("train_012"), split_from_name("test_001")
    ('train', 'test')
    """
    prefix = video.split("_", 1)[0]
    return prefix if prefix in ("train", "test") else "unknown"


def read_split_file(path: str | Path) -> tuple[str, list[str]]:
    """Read a split list: returns ``(split name = file stem, video names)``.

    Lines may hold a bare video name or a path/file name (``test_001.txt``); blank
    lines and ``#`` comments are ignored.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise DatasetError(f"cannot read split file {path}: {exc.strerror}") from exc
    videos = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            videos.append(Path(line.split()[0]).stem)
    if not videos:
        raise DatasetError(f"split file {path} lists no videos")
    return path.stem, videos


def find_split_files(root: str | Path) -> list[Path]:
    """Split list files present directly in ``root`` (see :data:`SPLIT_LIST_NAMES`)."""
    root = Path(root)
    return [root / n for n in SPLIT_LIST_NAMES if (root / n).is_file()]


def read_scene_labels(path: str | Path) -> dict[str, tuple[int, ...]]:
    """Read ``scene_label.txt``: ``{video: (label, ...)}``.

    Raises:
        DatasetError: A label that is not an integer (names the line).
    """
    path = Path(path)
    labels: dict[str, tuple[int, ...]] = {}
    for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        parts = line.split()
        if not parts:
            continue
        try:
            labels[Path(parts[0]).stem] = tuple(int(v) for v in parts[1:])
        except ValueError as exc:
            raise DatasetError(f"{path}, line {no}: expected integer scene labels, "
                               f"got {' '.join(parts[1:])!r}") from exc
    return labels
