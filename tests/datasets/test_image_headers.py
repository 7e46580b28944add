"""Image sizes from the JPEG header walk agree with Pillow (the image datasets read one
size per image), and anything that is not a plain JPEG is left to Pillow."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from vscrowd.datasets.layout import image_size, jpeg_size


def _image(size=(37, 23)) -> Image.Image:
    rng = np.random.default_rng(0)
    return Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), np.uint8))


@pytest.mark.parametrize("options", [{}, {"progressive": True}, {"quality": 30},
                                     {"exif": b"Exif\x00\x00" + b"\x00" * 4000},
                                     {"icc_profile": b"\x00" * 70_000}])
def test_jpeg_header_size_is_pillows(tmp_path, options):
    path = tmp_path / "a.jpg"
    _image((1201, 7)).save(path, format="JPEG", **options)
    with Image.open(path) as im:
        assert jpeg_size(path) == im.size == image_size(path) == (1201, 7)


def test_other_files_are_left_to_pillow(tmp_path):
    png = tmp_path / "a.png"
    _image().save(png)
    assert jpeg_size(png) is None and image_size(png) == (37, 23)
    for name, data in {"empty.jpg": b"", "soi.jpg": b"\xff\xd8", "junk.jpg": b"\xff\xd8xyz",
                       "cut.jpg": b"\xff\xd8\xff\xe0\x00\x10JFIF"}.items():
        (tmp_path / name).write_bytes(data)
        assert jpeg_size(tmp_path / name) is None and image_size(tmp_path / name) is None
    assert jpeg_size(tmp_path / "missing.jpg") is None
