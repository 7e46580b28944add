"""``VSCrowdClips``: clips of m frames around an objective frame, as a torch Dataset."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from ..clipwindow import check_clip_length, clip_window
from ..datasets.image_file import read_image
from ..datasets.vscrowd import VSCrowd
from ..errors import ConfigError, DatasetError
from .targets import binary_map, density_map
from .transforms import Clip, eval_transform

__all__ = ["IMAGENET_MEAN", "IMAGENET_STD", "VSCrowdClips", "VSCrowdImages", "collate",
           "normalize"]

IMAGENET_MEAN = np.array([0.485, 0.456, 0.406], np.float32)
IMAGENET_STD = np.array([0.229, 0.224, 0.225], np.float32)
Target = Literal["binary", "density", "points"]
BorderPolicy = Literal["replicate", "skip"]


class _FrameCache:
    """A small LRU cache of decoded frames (per worker process)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._d: OrderedDict[Path, np.ndarray] = OrderedDict()

    def get(self, path: Path) -> np.ndarray:
        img = self._d.get(path)
        if img is not None:
            self._d.move_to_end(path)
            return img
        img = cv2.cvtColor(read_image(path), cv2.COLOR_BGR2RGB)
        if self.size:
            self._d[path] = img
            if len(self._d) > self.size:
                self._d.popitem(last=False)
        return img


_NORM_A = (1.0 / (255.0 * IMAGENET_STD)).astype(np.float32)
_NORM_B = (IMAGENET_MEAN / IMAGENET_STD).astype(np.float32)


def normalize(frames: list[np.ndarray]) -> np.ndarray:
    """uint8 RGB frames ``(H, W, 3)`` -> float32 ``(m, 3, H, W)``, ImageNet-normalized,
    in one pass per channel (no float copy of the whole clip before transposing)."""
    h, w = frames[0].shape[:2]
    out = np.empty((len(frames), 3, h, w), np.float32)
    for i, f in enumerate(frames):
        for c in range(3):
            np.multiply(f[:, :, c], _NORM_A[c], out=out[i, c], casting="unsafe")
            out[i, c] -= _NORM_B[c]
    return out


class VSCrowdClips(Dataset):
    """Clips of ``clip_length`` frames centred on each objective frame.

    Item ``i`` holds frames ``c - (m//2)*stride ... c + (m//2)*stride`` of the same
    video around objective frame ``c``. At the start/end of a video the missing
    neighbours repeat the nearest existing frame (``border="replicate"``), or
    objective frames without full context are left out (``border="skip"``).

    Args:
        root_or_dataset: A dataset root or an open :class:`~vscrowd.VSCrowd`.
        split: Split to use (None: all videos).
        clip_length: Odd number of frames m (1 for single-image models).
        stride: Frames between clip members (in annotation lines).
        transform: A clip transform (see :mod:`vscrowd.data.transforms`); default
            pads to a multiple of 8 (evaluation).
        target: ``"binary"`` (RAZNet localization map), ``"density"`` or ``"points"``.
        kernel, radius: Binary-map dilation (``"pixel" | "plus" | "disk"``).
        density_sigma: Fixed σ, or None for geometry-adaptive σ.
        downsample: Density-map resolution divisor (sum preserved).
        border: ``"replicate"`` or ``"skip"``.
        cache_frames: Decoded frames kept in an LRU cache (clips share frames).
        seed: Base seed of the augmentations; None draws one from torch's RNG per
            item (so ``torch.manual_seed`` makes samples reproducible).

    Items are dicts: ``frames`` float32 ``(m, 3, H, W)`` ImageNet-normalized,
    ``target`` float32 ``(1, H, W)`` (binary/density; absent for "points"),
    ``points`` ``(N, 2)``, ``boxes`` ``(N, 4)``, ``head_ids`` ``(N,)``, ``video``,
    ``frame``, ``scale``, ``offset`` (``original = (p - offset) / scale``) and
    ``orig_size`` ``(H, W)``.

    Example:
        >>> import tempfile
        >>> from vscrowd import synthesize
        >>> root = synthesize(tempfile.mkdtemp() + "/d", videos=2, frames=3, size=(64, 48))
        >>> ds = VSCrowdClips(root, split="train", clip_length=3)
        >>> item = ds[0]
        >>> tuple(item["frames"].shape), tuple(item["target"].shape)
        ((3, 3, 48, 64), (1, 48, 64))
    """

    def __init__(
        self,
        root_or_dataset: str | Path | VSCrowd,
        split: str | None = "train",
        clip_length: int = 3,
        stride: int = 1,
        transform: Callable[[Clip, np.random.Generator], Clip] | None = None,
        target: Target = "binary",
        *,
        kernel: str = "plus",
        radius: int = 1,
        density_sigma: float | None = 4.0,
        downsample: int = 1,
        border: BorderPolicy = "replicate",
        cache_frames: int = 16,
        seed: int | None = None,
    ) -> None:
        check_clip_length(clip_length, "clip_length")
        if stride < 1:
            raise ConfigError(f"expected stride >= 1, got {stride}")
        if target not in ("binary", "density", "points"):
            raise ConfigError(f"expected target binary, density or points, got {target!r}")
        if border not in ("replicate", "skip"):
            raise ConfigError(f"expected border replicate or skip, got {border!r}")
        ds = root_or_dataset if isinstance(root_or_dataset, VSCrowd) else VSCrowd(
            root_or_dataset)
        self.dataset = ds.select(split=split) if split is not None else ds
        self.clip_length, self.stride, self.target = clip_length, stride, target
        self.transform = transform or eval_transform()
        self.kernel, self.radius = kernel, radius
        self.density_sigma, self.downsample = density_sigma, downsample
        self.seed = seed
        self.epoch = 0
        self._cache = _FrameCache(cache_frames)
        self._items = self._index(border)
        if not self._items:
            raise DatasetError(f"split {split!r} of {ds.root} has no objective frames"
                               + (" with full context (border='skip')" if border == "skip"
                                  else ""))

    def _index(self, border: BorderPolicy) -> list[tuple[str, list[str], Any]]:
        items = []
        for video in self.dataset.videos["video"]:
            frames = list(self.dataset.iter_frames(video))
            ids = [f.frame for f in frames]
            for c, fa in enumerate(frames):
                window = clip_window(len(ids), c, self.clip_length, self.stride, border)
                if window is not None:
                    items.append((video, [ids[p] for p in window], fa))
        return items

    def __len__(self) -> int:
        return len(self._items)

    def set_epoch(self, epoch: int) -> None:
        """Make augmentations depend on the epoch (with a fixed ``seed``)."""
        self.epoch = epoch

    def objective(self, i: int) -> tuple[str, str]:
        """``(video, frame)`` of item ``i``'s objective frame."""
        video, _, fa = self._items[i]
        return video, fa.frame

    def clip_frames(self, i: int) -> list[str]:
        """FrameIDs of item ``i``'s clip, in temporal order."""
        return list(self._items[i][1])

    def _rng(self, i: int) -> np.random.Generator:
        if self.seed is None:
            s = int(torch.randint(0, 2**62, (1,)).item())
            return np.random.default_rng(s)
        return np.random.default_rng([self.seed, self.epoch, i])

    def __getitem__(self, i: int) -> dict[str, Any]:
        video, clip_ids, fa = self._items[i]
        frames = [self._cache.get(self.dataset.image_path(video, f)) for f in clip_ids]
        if len({f.shape for f in frames}) != 1:
            raise DatasetError(f"frames of {video} around {fa.frame} differ in size")
        orig = frames[0].shape[:2]
        clip = Clip(frames, fa.xy.astype(np.float64), fa.box.astype(np.float64),
                    fa.track_id)
        clip = self.transform(clip, self._rng(i))
        item: dict[str, Any] = {
            "frames": torch.from_numpy(normalize(clip.frames)),
            "points": torch.from_numpy(clip.points.astype(np.float32)),
            "boxes": torch.from_numpy(clip.boxes.astype(np.float32)),
            "head_ids": torch.from_numpy(clip.head_ids.astype(np.int64)),
            "video": video, "frame": fa.frame,
            "scale": float(clip.scale), "offset": tuple(float(o) for o in clip.offset),
            "orig_size": tuple(int(s) for s in orig),
        }
        size = clip.size
        if self.target == "binary":
            m = binary_map(clip.points, size, self.kernel, self.radius)
            item["target"] = torch.from_numpy(m)[None]
        elif self.target == "density":
            m = density_map(clip.points, size, self.density_sigma, downsample=self.downsample)
            item["target"] = torch.from_numpy(m)[None]
        return item


class VSCrowdImages(VSCrowdClips):
    """Single frames (``clip_length=1``) for image models; items carry ``image``
    ``(3, H, W)`` as well as ``frames`` ``(1, 3, H, W)``."""

    def __init__(self, root_or_dataset, split: str | None = "train", **kwargs) -> None:
        kwargs.pop("clip_length", None)
        super().__init__(root_or_dataset, split, clip_length=1, **kwargs)

    def __getitem__(self, i: int) -> dict[str, Any]:
        item = super().__getitem__(i)
        item["image"] = item["frames"][0]
        return item


def collate(batch: list[dict[str, Any]]) -> dict[str, Any]:
    """Stack tensors of equal shape; keep per-item lists for variable-length fields."""
    out: dict[str, Any] = {}
    for key in batch[0]:
        vals = [b[key] for b in batch]
        if key in ("frames", "target", "image"):
            out[key] = torch.stack(vals)
        else:
            out[key] = vals
    return out
