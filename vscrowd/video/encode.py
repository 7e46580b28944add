"""Writing ``.mp4`` files that browsers play.

Browsers play H.264 in MP4; OpenCV's pip wheels cannot encode it (no libx264), so
H.264 comes from the ffmpeg binary that the ``imageio-ffmpeg`` package ships (the
``video`` extra: ``pip install 'vscrowd[video]'``; no system ffmpeg needed). Without
it, files are written by OpenCV as MPEG-4 Part 2 (``mp4v``), which desktop players
(VLC, mpv, ffplay) and OpenCV read but most browsers do not.
"""

from __future__ import annotations

import subprocess
from contextlib import ExitStack
from pathlib import Path
from typing import Literal

import cv2
import numpy as np

from .._io import atomic_path
from ..errors import ConfigError, MissingDependencyError, OutputError

__all__ = ["Codec", "VideoWriter", "h264_encoder"]

#: ``auto``: H.264 when imageio-ffmpeg is installed, else mp4v.
Codec = Literal["auto", "h264", "mp4v"]


def h264_encoder() -> str | None:
    """Path of an ffmpeg with libx264 (from imageio-ffmpeg), or None."""
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError:  # the package without its binary (unsupported platform)
        return None


class VideoWriter:
    """Frames (BGR uint8, all of ``size`` = (W, H)) -> ``out`` (.mp4), written
    atomically: the file appears, complete, on ``close()`` (a context manager)."""

    def __init__(self, out: str | Path, fps: float, size: tuple[int, int],
                 codec: Codec = "auto", quality: int = 23) -> None:
        out = Path(out)
        if out.suffix.lower() != ".mp4":
            raise ConfigError(f"expected a .mp4 output, got {out.name}")
        if codec not in ("auto", "h264", "mp4v"):
            raise ConfigError(f"expected codec auto, h264 or mp4v, got {codec!r}")
        exe = h264_encoder() if codec in ("auto", "h264") else None
        if codec == "h264" and exe is None:
            raise MissingDependencyError("H.264 output needs the ffmpeg of imageio-ffmpeg: "
                                         "pip install 'vscrowd[video]' (or use --codec mp4v)")
        self.codec = "h264" if exe else "mp4v"
        self.size, self.frames = size, 0
        self._stack = ExitStack()
        self._tmp = self._stack.enter_context(atomic_path(out))
        self._proc = self._cv = None
        w, h = size
        if exe:
            cmd = [exe, "-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "bgr24",
                   "-s", f"{w}x{h}", "-r", f"{fps:g}", "-i", "-", "-an",
                   "-vf", "pad=ceil(iw/2)*2:ceil(ih/2)*2",  # yuv420p needs even sizes
                   "-c:v", "libx264", "-preset", "ultrafast", "-tune", "zerolatency",
                   "-crf", str(quality), "-pix_fmt", "yuv420p", "-movflags", "+faststart",
                   str(self._tmp)]
            self._proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stderr=subprocess.PIPE)
        else:
            self._cv = cv2.VideoWriter(str(self._tmp), cv2.VideoWriter_fourcc(*"mp4v"),
                                       fps, (w, h))
            if not self._cv.isOpened():
                self._stack.close()
                raise OutputError(f"OpenCV cannot write MP4 files here: {out}")

    def write(self, img: np.ndarray) -> None:
        if img.shape[1::-1] != self.size:
            raise ValueError(f"expected frames of {self.size}, got {img.shape[1::-1]}")
        if self._proc is not None:
            try:
                self._proc.stdin.write(np.ascontiguousarray(img).data)
            except BrokenPipeError:
                self._fail()
        else:
            self._cv.write(img)
        self.frames += 1

    def _fail(self) -> None:
        err = self._proc.stderr.read().decode(errors="replace").strip()
        self._proc.wait()
        raise OutputError(f"ffmpeg failed while encoding: {err or 'no message'}")

    def close(self, ok: bool = True) -> None:
        """Finish the file (``ok``) or drop it."""
        try:
            if self._proc is not None:
                self._proc.stdin.close()
                code = self._proc.wait()
                if ok and code != 0:
                    self._fail()
                self._proc.stderr.close()
            elif self._cv is not None:
                self._cv.release()
            if ok and self.frames == 0:
                raise OutputError("no frames to write")
        except BaseException as exc:
            self._stack.__exit__(type(exc), exc, exc.__traceback__)
            raise
        if ok:
            self._stack.close()
        else:
            self._stack.__exit__(RuntimeError, RuntimeError("dropped"), None)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type, exc, tb) -> None:
        if self._proc is not None and exc_type is not None:
            self._proc.kill()
        self.close(ok=exc_type is None)
