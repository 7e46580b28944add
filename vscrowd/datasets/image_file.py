"""Decoding one frame or image, with its size checked first (the one place every part
of vscrowd reads pixels: the torch data, overlays, prediction, the baseline, video).

A JPEG or PNG header states the image's size, and decoding allocates that many pixels
before a byte of data is checked: a corrupt or hostile header that claims 60,000 x 60,000
would have the decoder fill 10 GB. So the header is read first (no pixels) and an image
of more than :data:`MAX_PIXELS` is refused with its size named; the decoded image must
then have the size the header stated, and a JPEG must reach its end-of-image marker
(a truncated or lying file is an error, not a half-grey frame: libjpeg decodes a file
cut short, the rest grey, and only warns).
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from .._files import require_regular_file
from ..errors import DatasetError
from .layout import image_size

__all__ = ["MAX_PIXELS", "pixel_limit", "read_image"]

#: The largest image decoded: 250 megapixels (750 MB as BGR), far above UCF-QNRF's
#: largest (6,666 x 9,999, 67 MP) and NWPU-Crowd's; ``VSCROWD_MAX_PIXELS`` raises it.
MAX_PIXELS = 250_000_000


def pixel_limit() -> int:
    """The most pixels :func:`read_image` decodes: ``VSCROWD_MAX_PIXELS`` if set to a
    whole number, else :data:`MAX_PIXELS`."""
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
    limit = pixel_limit()
    if w * h > limit:
        raise DatasetError(f"{path}: the image header says {w} x {h} pixels "
                           f"({w * h / 1e6:,.0f} MP), more than the {limit / 1e6:,.0f} MP "
                           "vscrowd decodes (a corrupt or hostile header? set "
                           "VSCROWD_MAX_PIXELS to allow it)")
    with open(path, "rb") as fh:  # a regular file (checked above): this cannot block
        data = fh.read()
    if data[:2] == b"\xff\xd8" and not _jpeg_ends(data):
        # libjpeg decodes a file cut short anyway, the rest grey, and only warns.
        raise DatasetError(f"{path}: the JPEG data stops before its end-of-image marker "
                           "(a truncated file?)")
    img = cv2.imread(str(path), cv2.IMREAD_GRAYSCALE if gray else cv2.IMREAD_COLOR)
    if img is None:
        raise DatasetError(f"frame image unreadable (not a JPEG/PNG?): {path}")
    if img.shape[:2] not in ((h, w), (w, h)):  # (w, h): turned by its EXIF orientation
        raise DatasetError(f"{path}: the image header says {w} x {h} pixels but it decodes "
                           f"to {img.shape[1]} x {img.shape[0]} (a corrupt file?)")
    return img


def _jpeg_ends(data: bytes) -> bool:
    """Whether the JPEG ``data`` reaches its end-of-image marker (EOI): the segments
    walked by their lengths, each scan's entropy-coded data skipped to the next marker
    (an FF followed by neither 00, a restart marker nor another FF), until EOI. Bytes
    after EOI do not matter (a camera's trailer)."""
    n, pos = len(data), 2  # after the start-of-image marker
    while pos + 2 <= n:
        if data[pos] != 0xFF:
            return False  # no marker where one must be: damaged
        marker = data[pos + 1]
        if marker == 0xD9:
            return True
        if marker == 0xFF:  # a fill byte before a marker
            pos += 1
            continue
        if 0xD0 <= marker <= 0xD7 or marker == 0x01:  # markers without a length
            pos += 2
            continue
        if pos + 4 > n:
            return False
        pos += 2 + int.from_bytes(data[pos + 2:pos + 4], "big")
        if marker == 0xDA:  # start of scan: its entropy-coded data runs to a marker
            pos = _next_marker(data, pos)
            if pos < 0:
                return False
    return False


def _next_marker(data: bytes, pos: int) -> int:
    """Where the marker after entropy-coded data starting at ``pos`` is; -1 if none
    (in the data an FF is stuffed as FF 00, and restart markers FF D0-D7 belong to it)."""
    while True:
        pos = data.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(data):
            return -1
        after = data[pos + 1]
        if after == 0x00 or 0xD0 <= after <= 0xD7:
            pos += 2
        elif after == 0xFF:
            pos += 1  # fill: the marker starts at the next FF
        else:
            return pos
