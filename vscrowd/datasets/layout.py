"""The official folder layout: where annotation files and frame images live.

``ROOT/annotations/<video>.txt`` and ``ROOT/videos/<video>/<FrameID>.jpg``.
"""

from __future__ import annotations

from pathlib import Path

from ..errors import DatasetError
from .splits import split_from_name

__all__ = ["IMAGE_EXT", "annotation_files", "first_readable_size", "image_size"]

IMAGE_EXT = ".jpg"


def _video_sort_key(path: Path) -> tuple[int, str]:
    # train videos first, then test, then anything else; natural order within.
    split = split_from_name(path.stem)
    return ({"train": 0, "test": 1}.get(split, 2), path.stem)


def annotation_files(root: str | Path) -> list[Path]:
    """The annotation files of a root, train videos first, then test, then others.

    Raises:
        DatasetError: No ``annotations`` folder or no ``*.txt`` in it.
    """
    root = Path(root)
    ann_dir = root / "annotations"
    if not ann_dir.is_dir():
        hint = ""
        if root.is_dir():
            hint = " (expected ROOT/annotations/<video>.txt and ROOT/videos/<video>/)"
        raise DatasetError(f"no annotations folder in {root}{hint}")
    files = sorted(ann_dir.glob("*.txt"), key=_video_sort_key)
    if not files:
        raise DatasetError(f"no annotation files (*.txt) in {ann_dir}")
    return files


def image_size(path: Path) -> tuple[int, int] | None:
    """(width, height) from the image header only (no pixel decode); None if the file is
    missing, empty or not an image."""
    from PIL import Image  # Pillow ships with matplotlib; reads headers lazily

    try:
        with Image.open(path) as im:
            return im.size
    except (OSError, ValueError):
        return None


def first_readable_size(folder: Path, fids: list[str], tries: int = 5
                        ) -> tuple[int, int] | None:
    """The size of the first readable frame among the first ``tries`` of ``fids``."""
    for fid in fids[:tries]:
        size = image_size(folder / (fid + IMAGE_EXT))
        if size:
            return size
    return None
