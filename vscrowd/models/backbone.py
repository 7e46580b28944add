"""VGG16's first 13 conv layers (output stride 8), with torchvision's key names.

Layer indices follow ``torchvision.models.vgg16().features`` so a torchvision
ImageNet checkpoint loads directly; pool4 (index 23) is an identity so the output
stride stays 8. No torchvision dependency.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import torch
from torch import nn

from ..errors import CheckpointError, VSCrowdWarning

__all__ = ["CONV_INDICES", "VGG16Backbone", "load_backbone_weights"]

logger = logging.getLogger(__name__)
# (index, out_channels) of the 13 convs; "M" marks max-pools (index 23 is skipped).
_CFG = [(0, 64), (2, 64), "M", (5, 128), (7, 128), "M", (10, 256), (12, 256), (14, 256),
        "M", (17, 512), (19, 512), (21, 512), "I", (24, 512), (26, 512), (28, 512)]
CONV_INDICES = (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)


class VGG16Backbone(nn.Module):
    """``features`` = VGG16 conv1_1 ... conv5_3 (ReLU after each); stride 8.

    Args:
        width: Channel multiplier (1.0 = VGG16; smaller values are for CPU demos and
            tests and cannot load ImageNet weights).
    """

    def __init__(self, width: float = 1.0) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        c_in = 3
        for item in _CFG:
            if item == "M":
                layers.append(nn.MaxPool2d(2, 2))
            elif item == "I":
                layers.append(nn.Identity())  # pool4 removed: keep output stride 8
            else:
                c = max(4, int(round(item[1] * width)))
                layers += [nn.Conv2d(c_in, c, 3, padding=1), nn.ReLU(inplace=True)]
                c_in = c
        self.features = nn.Sequential(*layers)
        self.out_channels = c_in
        self.width = width

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(B, 3, H, W)`` -> ``(B, C, H/8, W/8)``."""
        return self.features(x)


def load_backbone_weights(backbone: VGG16Backbone, path: str | Path) -> None:
    """Load the ``features.*`` tensors of a torchvision-layout VGG16 checkpoint.

    Accepts a plain state dict or one nested under ``"state_dict"``/``"model"``;
    classifier weights are ignored.

    Raises:
        CheckpointError: Unreadable file, missing keys or mismatching shapes (listed).
    """
    path = Path(path)
    try:
        sd = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(f"cannot read backbone weights {path}: {exc}") from exc
    for key in ("state_dict", "model"):
        if isinstance(sd, dict) and key in sd and isinstance(sd[key], dict):
            sd = sd[key]
    sd = {k.removeprefix("module."): v for k, v in sd.items()}
    own = backbone.state_dict()
    missing = [k for k in own if k not in sd]
    wrong = [f"{k}: expected {tuple(own[k].shape)}, got {tuple(sd[k].shape)}"
             for k in own if k in sd and sd[k].shape != own[k].shape]
    if missing or wrong:
        raise CheckpointError(f"{path} does not fit the VGG16 backbone (width "
                              f"{backbone.width}): missing {missing[:6]}, mismatched "
                              f"{wrong[:4]}")
    backbone.load_state_dict({k: sd[k] for k in own})
    logger.info("loaded backbone weights from %s", path)


def warn_random_init() -> None:
    """The one warning for a backbone without pretrained weights."""
    warnings.warn("VGG16 backbone is randomly initialised (no --backbone-weights given; "
                  "nothing can be downloaded here). Results will be far below the paper's.",
                  VSCrowdWarning, stacklevel=3)
