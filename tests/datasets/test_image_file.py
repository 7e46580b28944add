"""Decoding a frame (vscrowd.datasets.image_file.read_image): the header's size is
checked before any pixel is decoded, so a header that claims a giant image is a clear
error naming the file and the size -- through the library and the CLI -- instead of
gigabytes filled by the decoder."""

from __future__ import annotations

import time
import zlib

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from vscrowd.cli.main import app

import vscrowd
from vscrowd.datasets.image_file import read_image
from vscrowd.datasets.layout import image_size
from vscrowd.errors import DatasetError


def _jpeg(path, size=(64, 48)):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), np.uint8)).save(path)
    return path


def _claim(path, width: int, height: int) -> None:
    """Rewrite the JPEG's start-of-frame header to claim another size."""
    data = bytearray(path.read_bytes())
    at = data.index(b"\xff\xc0")  # baseline SOF: marker, length, precision, height, width
    data[at + 5:at + 7] = height.to_bytes(2, "big")
    data[at + 7:at + 9] = width.to_bytes(2, "big")
    path.write_bytes(bytes(data))


def test_reads_color_and_gray(tmp_path):
    path = _jpeg(tmp_path / "a.jpg")
    assert read_image(path).shape == (48, 64, 3)
    assert read_image(path, gray=True).shape == (48, 64)
    png = tmp_path / "b.png"
    Image.open(path).save(png)
    assert read_image(png).shape == (48, 64, 3)


def test_giant_header_is_refused_before_decoding(tmp_path):
    path = _jpeg(tmp_path / "a.jpg")
    _claim(path, 60_000, 60_000)  # 3,600 MP: 10 GB if decoded
    t = time.perf_counter()
    with pytest.raises(DatasetError, match=r"a\.jpg.*60000 x 60000 pixels.*MP"):
        read_image(path)
    assert time.perf_counter() - t < 2


def test_giant_png_header_is_refused_before_decoding(tmp_path):
    path = tmp_path / "a.png"
    Image.open(_jpeg(tmp_path / "a.jpg")).save(path)
    data = bytearray(path.read_bytes())  # IHDR: width, height at 16; its CRC at 29
    data[16:24] = (60_000).to_bytes(4, "big") * 2
    data[29:33] = zlib.crc32(data[12:29]).to_bytes(4, "big")
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetError, match=r"a\.png.*60000 x 60000 pixels.*MP"):
        read_image(path)


def test_giant_header_pillow_reads_is_a_located_error(tmp_path):
    """A format read by Pillow (BMP): its decompression-bomb refusal, not an OSError, is
    a DatasetError naming the file, from the reader's size lookup as from read_image."""
    path = tmp_path / "a.bmp"
    Image.open(_jpeg(tmp_path / "a.jpg")).save(path)
    data = bytearray(path.read_bytes())  # BITMAPINFOHEADER: width, height at 18, 22
    data[18:26] = (30_000).to_bytes(4, "little") * 2
    path.write_bytes(bytes(data))
    with pytest.raises(DatasetError, match=r"a\.bmp.*exceeds limit"):
        image_size(path)
    with pytest.raises(DatasetError, match=r"a\.bmp"):
        read_image(path)


def test_limit_is_configurable(tmp_path, monkeypatch):
    path = _jpeg(tmp_path / "a.jpg")
    monkeypatch.setenv("VSCROWD_MAX_PIXELS", "1000")
    with pytest.raises(DatasetError, match="64 x 48"):
        read_image(path)
    monkeypatch.setenv("VSCROWD_MAX_PIXELS", "4000")
    assert read_image(path).shape == (48, 64, 3)


def test_missing_unreadable_and_not_a_file(tmp_path):
    with pytest.raises(DatasetError, match=r"none\.jpg: no such frame image"):
        read_image(tmp_path / "none.jpg")
    (tmp_path / "junk.jpg").write_bytes(b"not an image")
    with pytest.raises(DatasetError, match="unreadable"):
        read_image(tmp_path / "junk.jpg")
    (tmp_path / "dir.jpg").mkdir()
    with pytest.raises(DatasetError, match="folder"):
        read_image(tmp_path / "dir.jpg")


def test_cli_show_names_the_lying_frame(tmp_path):
    root = vscrowd.synthesize(tmp_path / "d", videos=2, frames=2, size=(96, 64), seed=1)
    ds = vscrowd.open(root, cache=False)
    fa = next(iter(ds.iter_frames(ds.videos["video"][0])))
    path = ds.image_path(ds.videos["video"][0], fa.frame)
    _claim(path, 50_000, 40_000)
    res = CliRunner().invoke(app, ["show", str(root), "--video", ds.videos["video"][0],
                                   "--frame", fa.frame, "--out", str(tmp_path / "o.png")])
    assert res.exit_code == 2 and "50000 x 40000" in res.output, res.output
    assert "Traceback" not in res.output and not (tmp_path / "o.png").exists()


def _variants(tmp_path):
    """Complete JPEGs of several structures: baseline, progressive (several scans with
    tables between them), restart markers, and a trailer after the end-of-image."""
    rng = np.random.default_rng(3)
    img = Image.fromarray(rng.integers(0, 255, (40, 56, 3), np.uint8))
    out = {}
    for name, kw in (("baseline", {}), ("progressive", {"progressive": True}),
                     ("optimized", {"optimize": True, "quality": 95})):
        img.save(tmp_path / f"{name}.jpg", **kw)
        out[name] = tmp_path / f"{name}.jpg"
    import cv2

    cv2.imwrite(str(tmp_path / "restart.jpg"), np.asarray(img)[:, :, ::-1],
                [cv2.IMWRITE_JPEG_RST_INTERVAL, 2])
    out["restart"] = tmp_path / "restart.jpg"
    trailer = tmp_path / "trailer.jpg"
    trailer.write_bytes(out["baseline"].read_bytes() + b"\xff\xda\x00\x10junk\xff\x00" * 9)
    out["trailer"] = trailer
    return out


def test_complete_jpegs_of_every_structure_read(tmp_path):
    for name, path in _variants(tmp_path).items():
        assert read_image(path).shape == (40, 56, 3), name


def test_a_truncated_jpeg_is_an_error_not_a_grey_frame(tmp_path):
    # libjpeg decoded it anyway (the rest grey) and printed a warning: the frame was
    # used as if whole.
    for name, path in _variants(tmp_path).items():
        if name == "trailer":
            continue
        data = path.read_bytes()
        end = data.rindex(b"\xff\xd9") + 2
        for cut in sorted({end // 3, end // 2, end - 40, end - 2, end - 1}):
            path.write_bytes(data[:cut])
            if image_size(path) is None:
                continue  # cut inside the header: unreadable as before
            with pytest.raises(DatasetError, match="end-of-image marker"):
                read_image(path)
        path.write_bytes(data)


@settings(max_examples=60, deadline=None)
@given(st.floats(0.05, 0.999))
def test_any_cut_after_the_header_is_found(tmp_path_factory, fraction):
    from vscrowd.datasets.image_file import _jpeg_ends

    data = _variants(tmp_path_factory.mktemp("cut"))["progressive"].read_bytes()
    end = data.rindex(b"\xff\xd9") + 2
    assert _jpeg_ends(data) and _jpeg_ends(data + b"\x00trailer\xff\xd8")
    assert not _jpeg_ends(data[:max(2, int(end * fraction))])
