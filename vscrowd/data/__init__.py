"""PyTorch data for VSCrowd (needs the ``torch`` extra): clips, maps, transforms."""

from .._optional import require_torch

require_torch("vscrowd.data")

from .clips import (  # noqa: E402
    IMAGENET_MEAN,
    IMAGENET_STD,
    VSCrowdClips,
    VSCrowdImages,
    collate,
)
from .targets import binary_map, density_map, kernel_offsets  # noqa: E402
from .transforms import (  # noqa: E402
    Clip,
    ColorJitter,
    Compose,
    EvalPad,
    RandomCrop,
    RandomFlip,
    RandomScale,
    eval_transform,
    train_transform,
)

__all__ = [
    "Clip",
    "ColorJitter",
    "Compose",
    "EvalPad",
    "IMAGENET_MEAN",
    "IMAGENET_STD",
    "RandomCrop",
    "RandomFlip",
    "RandomScale",
    "VSCrowdClips",
    "VSCrowdImages",
    "binary_map",
    "collate",
    "density_map",
    "eval_transform",
    "kernel_offsets",
    "train_transform",
]
