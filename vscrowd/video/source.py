"""Frame sources for ``vscrowd predict --video``: a video file, a folder of frames, a glob
of frame files or a stream URL OpenCV opens, decoded in a background thread.

The reader thread hands frames over a bounded queue, so memory stays at ``buffer``
frames however long the video is, and decoding (OpenCV releases the GIL) overlaps the
per-frame work of the caller.
"""

from __future__ import annotations

import glob
import os
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..datasets.image_file import read_image
from ..datasets.layout import IMAGE_SUFFIXES
from ..errors import DatasetError

__all__ = ["FrameSource", "StreamStop", "open_source"]

# First bytes of common containers: named in the error when OpenCV cannot open a file.
_MAGIC = [(b"\x1aE\xdf\xa3", "Matroska/WebM"), (b"RIFF", "RIFF (AVI)"), (b"OggS", "Ogg"),
          (b"FLV", "FLV"), (b"\x00\x00\x01\xba", "MPEG-PS"), (b"G", "MPEG-TS")]


@dataclass(frozen=True)
class StreamStop:
    """Why the frames ended early: ``frame`` decoded frames, ``expected`` announced."""

    frame: int
    expected: int | None
    reason: str


@dataclass
class FrameSource:
    """An opened source. ``frames`` yields ``(source frame index, BGR uint8 image)``;
    ``stop`` says where and why it ended early (None: it ended where expected)."""

    name: str  # the "video" of the prediction records
    path: str
    fps: float
    size: tuple[int, int]  # (width, height)
    frame_count: int | None  # announced by the container; None for streams and unknown
    kind: str  # "video", "stream", "images"
    codec: str
    _cap: object = None
    _files: list[Path] | None = None
    stop: StreamStop | None = None

    def frames(self, start: int = 0, end: int | None = None, every: int = 1,
               buffer: int = 8) -> Iterator[tuple[int, np.ndarray]]:
        """Frames ``start <= i < end`` (every ``every``-th is yielded), decoded ahead in
        a thread holding at most ``buffer`` frames."""
        q: queue.Queue = queue.Queue(maxsize=max(1, buffer))
        halt = threading.Event()
        worker = threading.Thread(target=self._produce, args=(q, halt, start, end, every),
                                  daemon=True, name="vscrowd-decode")
        worker.start()
        try:
            while True:
                item = q.get()
                if item is None:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            halt.set()
            while worker.is_alive():  # unblock a producer waiting on a full queue
                try:
                    q.get_nowait()
                except queue.Empty:
                    worker.join(0.05)

    def _produce(self, q: queue.Queue, halt: threading.Event, start: int, end: int | None,
                 every: int) -> None:
        try:
            for item in self._decode(start, end, every, halt):
                if halt.is_set():
                    return
                q.put(item)
        except BaseException as exc:  # handed to the consumer, raised there
            q.put(exc)
            return
        q.put(None)

    def _decode(self, start: int, end: int | None, every: int, halt: threading.Event
                ) -> Iterator[tuple[int, np.ndarray]]:
        if self._files is not None:
            for i in range(start, len(self._files) if end is None else
                           min(end, len(self._files)), every):
                yield i, read_image(self._files[i])
            return
        cap = self._cap
        i, decoded = 0, 0
        if start and self.kind == "video":
            cap.set(cv2.CAP_PROP_POS_FRAMES, start)
            i = int(cap.get(cv2.CAP_PROP_POS_FRAMES))
        while (end is None or i < end) and not halt.is_set():
            if i < start or (i - start) % every:
                if not cap.grab():  # skipped frames are not converted (cheaper)
                    break
            else:
                ok, img = cap.read()
                if not ok:
                    break
                decoded += 1
                yield i, img
            i += 1
        cap.release()
        if decoded == 0 and i <= start and self.kind == "video":
            raise DatasetError(f"{self.path}: OpenCV opened the video but decodes no frame "
                               f"from it ({_container(Path(self.path))}, codec "
                               f"{self.codec!r}); re-encode it, e.g. ffmpeg -i IN -c:v "
                               "libx264 -pix_fmt yuv420p OUT.mp4")
        target = self.frame_count if end is None else min(end, self.frame_count or end)
        if not halt.is_set() and (self.kind == "stream" or (target and i < target)):
            self.stop = StreamStop(i, target if self.kind == "video" else None,
                                   "the stream ended" if self.kind == "stream" else
                                   "the file ended or could not be decoded further")


def _container(path: Path) -> str:
    """The container a file's first bytes announce (named in errors)."""
    with open(path, "rb") as fh:
        head = fh.read(16)
    if head[4:8] == b"ftyp":
        return f"container MP4/QuickTime, brand {head[8:12].decode('latin-1').strip()!r}"
    if not head:
        return "an empty file"
    return next((f"container {n}" for m, n in _MAGIC if head.startswith(m)),
                f"unknown container, first bytes {head[:8].hex()}")


def _describe_file(path: Path, cap) -> str:
    """Container (by magic bytes) and codec (OpenCV's FOURCC) of a file, for errors."""
    container = _container(path)
    codec = "codec not recognised"
    if cap is not None and cap.isOpened():
        fourcc = int(cap.get(cv2.CAP_PROP_FOURCC))
        text = "".join(chr((fourcc >> 8 * k) & 0xFF) for k in range(4)).strip("\x00 ")
        codec = f"codec {text!r}" if text else codec
    return f"{container}, {codec}"


def _image_files(spec: str) -> list[Path] | None:
    path = Path(spec)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise DatasetError(f"{spec}: folder holds no frame images "
                               f"({', '.join(IMAGE_SUFFIXES)})")
        return files
    if any(c in spec for c in "*?["):
        files = sorted(Path(p) for p in glob.glob(spec)
                       if Path(p).suffix.lower() in IMAGE_SUFFIXES)
        if not files:
            raise DatasetError(f"{spec}: the pattern matches no frame images")
        return files
    return None


def _open_quietly(spec: str):
    """``cv2.VideoCapture`` without OpenCV's and FFmpeg's own warnings on stderr: a
    failure becomes one error of ours instead (the user can still set
    OPENCV_FFMPEG_LOGLEVEL to see FFmpeg's messages)."""
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    level = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
    try:
        return cv2.VideoCapture(spec, cv2.CAP_FFMPEG)
    finally:
        cv2.utils.logging.setLogLevel(level)


def open_source(spec: str | Path, fps: float | None = None, name: str | None = None
                ) -> FrameSource:
    """Open a video file, a folder of frames, a glob of frames or a stream URL.

    Raises:
        DatasetError: Missing file, no frames, or a video OpenCV cannot decode (the
            message names the file, its container and codec).
    """
    spec = str(spec)
    files = _image_files(spec)
    if files is not None:
        first = cv2.imread(str(files[0]), cv2.IMREAD_COLOR)
        if first is None:
            raise DatasetError(f"frame image unreadable: {files[0]}")
        name = name or (Path(spec).name if Path(spec).is_dir() else Path(spec).parent.name)
        return FrameSource(name or "frames", str(Path(spec).resolve()), fps or 25.0,
                           (first.shape[1], first.shape[0]), len(files), "images",
                           "images", _files=files)
    stream = "://" in spec
    if not stream and not Path(spec).is_file():
        raise DatasetError(f"{spec}: no such video file, folder or pattern")
    cap = _open_quietly(spec)
    w, h = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
    if not cap.isOpened() or w <= 0 or h <= 0:
        what = "stream" if stream else _describe_file(Path(spec), cap)
        cap.release()
        raise DatasetError(f"{spec}: OpenCV cannot open this video ({what}); re-encode it, "
                           "e.g. ffmpeg -i IN -c:v libx264 -pix_fmt yuv420p OUT.mp4")
    n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
    rate = fps or cap.get(cv2.CAP_PROP_FPS) or 25.0
    fourcc = int(cap.get(cv2.CAP_PROP_FOURCC))
    codec = "".join(chr((fourcc >> 8 * k) & 0xFF) for k in range(4)).strip("\x00 ") or "?"
    last = spec.split("?")[0].rstrip("/").rsplit("/", 1)[-1]  # a URL's last path segment
    name = name or ((Path(last).stem or "stream") if stream else Path(spec).stem)
    return FrameSource(name, spec if stream else str(Path(spec).resolve()), float(rate),
                       (w, h), None if stream or n <= 0 else n,
                       "stream" if stream else "video", codec, _cap=cap)
