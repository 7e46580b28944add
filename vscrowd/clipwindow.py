"""Clips: the one rule for which frames surround an objective frame, and the one check
of a clip length (odd, so that the objective frame is the middle one)."""

from __future__ import annotations

from typing import Literal

import numpy as np

from .errors import ConfigError

__all__ = ["ClipPolicy", "check_clip_length", "clip_window"]

#: At a video's start/end: ``replicate`` the nearest existing frame, or ``skip`` the clip.
ClipPolicy = Literal["replicate", "skip"]


def check_clip_length(length: object, name: str = "clip length") -> int:
    """``length`` if it is an odd integer >= 1, else a :class:`ConfigError`.

    >>> check_clip_length(3)
    3
    """
    if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or \
            length < 1 or length % 2 == 0:
        raise ConfigError(f"expected an odd {name} >= 1, got {length!r}")
    return int(length)


def clip_window(n_frames: int, centre: int, length: int, stride: int = 1,
                policy: ClipPolicy = "replicate") -> list[int] | None:
    """Positions (0 … n_frames-1) of the ``length`` frames ``stride`` apart centred on
    ``centre``; None where ``policy="skip"`` and the clip leaves the video.

    >>> clip_window(5, 0, 3), clip_window(5, 4, 3, stride=2), clip_window(5, 0, 3, policy="skip")
    ([0, 0, 1], [2, 4, 4], None)
    """
    length = check_clip_length(length)
    if stride < 1:
        raise ConfigError(f"expected stride >= 1, got {stride}")
    if policy not in ("replicate", "skip"):
        raise ConfigError(f"expected policy 'replicate' or 'skip', got {policy!r}")
    half = length // 2
    pos = centre + stride * np.arange(-half, half + 1)
    if policy == "skip" and (pos[0] < 0 or pos[-1] >= n_frames):
        return None
    return np.clip(pos, 0, n_frames - 1).tolist()
