"""The VGG16 front-end, output stride 8, with torchvision's key names.

The paper: "we use the first 13 layers in VGG16", output H/8 × W/8 × 512, building
on CSRNet. Thirteen *entries* of VGG16's configuration -- 10 convolutions and 3
max-pools, ``64, 64, M, 128, 128, M, 256, 256, 256, M, 512, 512, 512`` -- are CSRNet's
front-end and give exactly stride 8 and 512 channels with no change to VGG16: that is
the default (``"vgg16-10conv"``, 7.6 M parameters). vscrowd 0.1 read the phrase as 13
*convolutions* with pool4 removed (``"vgg16-13conv"``, 14.7 M parameters, a larger
receptive field); it stays available by name.

Layer indices follow ``torchvision.models.vgg16().features``, so a torchvision ImageNet
checkpoint loads directly (``features.0``-``features.21`` for the default). No
torchvision dependency.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

import torch
from torch import nn

from .._files import require_regular_file
from ..choices import BackboneName
from ..errors import CheckpointError, ConfigError, VSCrowdWarning

__all__ = ["BACKBONES", "VGG16Backbone", "conv_indices", "load_backbone_weights"]

logger = logging.getLogger(__name__)
_FRONT = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512]
#: Layer lists: channel counts, "M" for max-pool, "I" for an identity kept in pool4's
#: place (index 23) so that the deeper convs keep torchvision's indices.
BACKBONES: dict[str, tuple[int | str, ...]] = {
    "vgg16-10conv": tuple(_FRONT),
    "vgg16-13conv": (*_FRONT, "I", 512, 512, 512),
}


def conv_indices(name: BackboneName = "vgg16-10conv") -> tuple[int, ...]:
    """torchvision ``features`` indices of the convolutions of backbone ``name``.

    >>> conv_indices()
    (0, 2, 5, 7, 10, 12, 14, 17, 19, 21)
    """
    out, i = [], 0
    for item in BACKBONES[name]:
        if isinstance(item, int):
            out.append(i)
            i += 2  # conv + ReLU
        else:
            i += 1
    return tuple(out)


class VGG16Backbone(nn.Module):
    """``features``: VGG16's front-end (ReLU after each conv), output stride 8.

    Args:
        width: Channel multiplier (1.0 = VGG16; smaller values are for CPU demos and
            tests and cannot load ImageNet weights).
        name: ``"vgg16-10conv"`` (the paper's, default) or ``"vgg16-13conv"``.
    """

    def __init__(self, width: float = 1.0, name: BackboneName = "vgg16-10conv") -> None:
        super().__init__()
        if name not in BACKBONES:
            raise ConfigError(f"expected backbone in {sorted(BACKBONES)}, got {name!r}")
        layers: list[nn.Module] = []
        c_in = 3
        for item in BACKBONES[name]:
            if item == "M":
                layers.append(nn.MaxPool2d(2, 2))
            elif item == "I":
                layers.append(nn.Identity())  # pool4 removed: keep output stride 8
            else:
                c = max(4, int(round(int(item) * width)))
                layers += [nn.Conv2d(c_in, c, 3, padding=1), nn.ReLU(inplace=True)]
                c_in = c
        self.features = nn.Sequential(*layers)
        self.out_channels = c_in
        self.width, self.name = width, name

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
    path = require_regular_file(path, CheckpointError, "backbone weights file")
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
        raise CheckpointError(f"{path} does not fit the {backbone.name} backbone (width "
                              f"{backbone.width}): missing {missing[:6]}, mismatched "
                              f"{wrong[:4]}")
    backbone.load_state_dict({k: sd[k] for k in own})
    logger.info("loaded backbone weights from %s", path)


def warn_random_init() -> None:
    """The one warning for a backbone without pretrained weights."""
    warnings.warn("VGG16 backbone is randomly initialised (no --backbone-weights given; "
                  "nothing can be downloaded here). Results will be far below the paper's.",
                  VSCrowdWarning, stacklevel=3)
