"""Decoding one frame or image, with its size checked first (the one place every part
of vscrowd reads pixels: the torch data, overlays, prediction, the baseline, video).

A JPEG or PNG header states the image's size, and decoding allocates that many pixels
before a byte of data is checked: a corrupt or hostile header that claims 60,000 x 60,000
would have the decoder fill 10 GB. So the header is read first (no pixels) and an image
of more than :data:`MAX_PIXELS` is refused with its size named; the decoded image must
then have the size the header stated (a truncated or lying file is an error, not a
half-grey frame).
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from .._files import require_regular_file
from ..errors import DatasetError
from .layout import image_size

__all__ = ["MAX_PIXELS", "read_image"]

#: The largest image decoded: 250 megapixels (750 MB as BGR), far above UCF-QNRF's
#: largest (6,666 x 9,999, 67 MP) and NWPU-Crowd's; ``VSCROWD_MAX_PIXELS`` raises it.
MAX_PIXELS = 250_000_000


def _limit() -> int:
    value = os.environ.get("VSCROWD_MAX_PIXELS", "")
    return int(value) if value.isdigit() else MAX_PIXELS


def read_image(path: str | Path, *, gray: bool = False) -> np.ndarray:
    """The image at ``path`` as uint8 BGR ``(h, w, 3)`` (``gray``: ``(h, w)``).

    Raises:
        DatasetError: missing, not a regular file, not an image, larger than the pixel
            limit by its header, or decoding to another size than its header states
            (each names the file).
    """
    # One stat: a missing file is "no such frame image", a folder or FIFO named as such.
    path = require_regular_file(path, DatasetError, "frame image")
    size = image_size(path)
    if size is None:
        raise DatasetError(f"frame image unreadable (not a JPEG/PNG?): {path}")
    w, h = size
    if w * h > _limit():
        raise DatasetError(f"{path}: the image header says {w} x {h} pixels "
                           f"({w * h / 1e6:,.0f} MP), more than the {_limit() / 1e6:,.0f} MP "
                           "vscrowd decodes (a corrupt or hostile header? set "
                           "VSCROWD_MAX_PIXELS to allow it)")
    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE if gray else cv2.IMREAD_COLOR)
    if img is None:
        raise DatasetError(f"frame image unreadable (not a JPEG/PNG?): {path}")
    if img.shape[:2] not in ((h, w), (w, h)):  # (w, h): turned by its EXIF orientation
        raise DatasetError(f"{path}: the image header says {w} x {h} pixels but it decodes "
                           f"to {img.shape[1]} x {img.shape[0]} (a corrupt file?)")
    return img
