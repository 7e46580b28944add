"""Image sizes from the JPEG and PNG header walks agree with Pillow (the image datasets
read one size per image), and anything that is not a plain JPEG or PNG is left to
Pillow."""

from __future__ import annotations

import tempfile
import zlib
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from vscrowd.datasets.layout import image_size, jpeg_size, png_size


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


def _png(w: int, h: int, depth: int = 8, colour: int = 2, methods: bytes = b"\0\0\0",
         crc_ok: bool = True) -> bytes:
    """A PNG of one IHDR chunk as given, then an empty IDAT and IEND."""
    def chunk(kind: bytes, data: bytes, ok: bool = True) -> bytes:
        crc = zlib.crc32(kind + data) ^ (0 if ok else 1)
        return len(data).to_bytes(4, "big") + kind + data + crc.to_bytes(4, "big")
    ihdr = w.to_bytes(4, "big") + h.to_bytes(4, "big") + bytes([depth, colour]) + methods
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr, crc_ok) + chunk(b"IDAT", b"")
            + chunk(b"IEND", b""))


def _pillow_size(path):
    """Pillow's size of the file, its decompression-bomb limit off (the size is what is
    compared; vscrowd's own limit is read_image's: tests/datasets/test_image_file.py)."""
    limit, Image.MAX_IMAGE_PIXELS = Image.MAX_IMAGE_PIXELS, None
    try:
        with Image.open(path) as im:
            return im.size
    except (OSError, ValueError, SyntaxError):
        return None
    finally:
        Image.MAX_IMAGE_PIXELS = limit


@pytest.mark.parametrize("mode", ["1", "L", "P", "RGB", "RGBA", "LA", "I;16"])
def test_png_header_size_is_pillows(tmp_path, mode):
    path = tmp_path / "a.png"
    _image((1201, 7)).convert(mode).save(path)
    assert png_size(path) == _pillow_size(path) == image_size(path) == (1201, 7)
    assert jpeg_size(path) is None


@settings(max_examples=200, deadline=None)
@given(w=st.sampled_from([0, 1, 238, (1 << 31) - 1, 1 << 31, (1 << 32) - 1]),
       h=st.integers(0, 5000), depth=st.sampled_from([0, 1, 2, 4, 8, 16, 3]),
       colour=st.sampled_from([0, 1, 2, 3, 4, 5, 6, 7]),
       methods=st.sampled_from([b"\0\0\0", b"\0\0\1", b"\0\0\2", b"\1\0\0", b"\0\1\0"]),
       crc_ok=st.booleans())
def test_png_header_walk_takes_only_what_pillow_reads_the_same(w, h, depth, colour,
                                                                methods, crc_ok):
    """Any IHDR the walk takes, Pillow reads to the same size (the others are Pillow's to
    judge: image_size then gives Pillow's answer)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.png"
        path.write_bytes(_png(w, h, depth, colour, methods, crc_ok))
        got = png_size(path)
        if got is not None:
            assert got == _pillow_size(path) == (w, h)
            assert crc_ok and 0 < w < 1 << 31 and h > 0 and methods in (b"\0\0\0", b"\0\0\1")


def test_damaged_png_headers_are_left_to_pillow(tmp_path):
    cases = {"crc.png": _png(5, 6, crc_ok=False), "depth.png": _png(5, 6, depth=3),
             "filter.png": _png(5, 6, methods=b"\0\1\0"), "cut.png": _png(5, 6)[:30],
             "sig.png": b"\x89PNG\r\n\x1a\x0b" + _png(5, 6)[8:], "empty.png": b""}
    for name, data in cases.items():
        (tmp_path / name).write_bytes(data)
        assert png_size(tmp_path / name) is None, name
        assert image_size(tmp_path / name) == _pillow_size(tmp_path / name), name
    assert png_size(tmp_path / "missing.png") is None
