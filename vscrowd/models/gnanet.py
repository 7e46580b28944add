"""GNANet (Li et al., TIP 2022) and its ablation variants, one code path.

``features`` (VGG16, stride 8) runs on every frame of the clip. Then:

* scene modelling: ``F = ReLU(conv3x3(cat(F_1..F_m)))``; ``S = GNA(F, F)``;
  ``M = ReLU(conv3x3(cat(F, S)))``;
* context cross-attention: temporal GNA (query M, keys in every frame, one softmax
  over m·N keys) + objective-frame GNA (query M, keys in the middle frame F_c);
  their sum + F_c feeds
* the prediction module (RAZNet's localization branch): 3 x conv3x3 (dilation 2),
  3 x [deconv 3x3 stride 2 + conv3x3 dilation 2], ReLUs, 1x1 conv -> 1 logit map at
  the input resolution (inputs that are multiples of 8).

Variants: ``s-gnanet`` (single image, self-GNA on F_c), ``baseline`` (no attention,
middle frame only), ``lanet`` (9x9 local window), ``ranet`` (uniform random keys),
``dranet`` (uniform in a disk), ``gnanet-1focus`` (γ = 5 only).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from typing import Literal

import torch
from torch import nn

from ..errors import ConfigError
from .backbone import VGG16Backbone, load_backbone_weights, warn_random_init
from .gna import GaussianNeighborhoodAttention
from .registry import register_model

__all__ = ["GNANet", "GNANetConfig", "PredictionModule"]

Variant = Literal["gnanet", "s-gnanet", "baseline", "lanet", "ranet", "dranet",
                  "gnanet-1focus"]
_SAMPLER = {"gnanet": "gaussian", "gnanet-1focus": "gaussian", "s-gnanet": "gaussian",
            "lanet": "local", "ranet": "uniform", "dranet": "disk", "baseline": None}


@dataclass(frozen=True)
class GNANetConfig:
    """Options of :class:`GNANet` (defaults follow the paper)."""

    variant: Variant = "gnanet"
    clip_length: int = 3  # m frames per clip (1 for s-gnanet and image baselines)
    width: float = 1.0  # channel multiplier; < 1 only for CPU demos/tests
    gammas: tuple[float, ...] = (3.0, 5.0, 10.0)  # focus std in feature pixels
    n_samples: int = 32  # N keys per query and frame
    eval_samples: int = 3  # T Monte-Carlo draws averaged at evaluation
    attn_dim: int | None = None  # q/k dimension (default: feature channels)
    heads: int = 1
    window: int = 9  # LANet window
    chunk_size: int = 1024  # queries per GNA chunk (bounds memory)
    eval_seed: int = 0
    backbone_weights: str | None = field(default=None, compare=False)

    def validate(self) -> None:
        if self.variant not in _SAMPLER:
            raise ConfigError(f"expected variant in {sorted(_SAMPLER)}, got {self.variant!r}")
        if self.clip_length < 1 or self.clip_length % 2 == 0:
            raise ConfigError(f"expected an odd clip_length >= 1, got {self.clip_length}")
        if self.variant == "s-gnanet" and self.clip_length != 1:
            raise ConfigError("expected clip_length 1 for s-gnanet (single image)")


class PredictionModule(nn.Module):
    """RAZNet's localization branch: stride-8 features -> full-resolution logits."""

    def __init__(self, c_in: int, width: float = 1.0) -> None:
        super().__init__()

        def ch(c: int) -> int:
            return max(4, int(round(c * width)))

        layers: list[nn.Module] = []
        c = c_in
        for _ in range(3):
            layers += [nn.Conv2d(c, ch(512), 3, padding=2, dilation=2), nn.ReLU(inplace=True)]
            c = ch(512)
        for out in (256, 128, 64):
            layers += [nn.ConvTranspose2d(c, ch(out), 3, stride=2, padding=1,
                                          output_padding=1), nn.ReLU(inplace=True),
                       nn.Conv2d(ch(out), ch(out), 3, padding=2, dilation=2),
                       nn.ReLU(inplace=True)]
            c = ch(out)
        self.body = nn.Sequential(*layers)
        self.out = nn.Conv2d(c, 1, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(x))


class GNANet(nn.Module):
    """GNANet and variants. ``forward(clip (B, m, 3, H, W)) -> logits (B, 1, H, W)``."""

    def __init__(self, config: GNANetConfig | None = None, **options) -> None:
        super().__init__()
        config = config or GNANetConfig(**options)
        config.validate()
        self.config = config
        self.backbone = VGG16Backbone(config.width)
        C = self.backbone.out_channels
        sampler = _SAMPLER[config.variant]
        gammas = (5.0,) if config.variant == "gnanet-1focus" else config.gammas

        def gna() -> GaussianNeighborhoodAttention:
            return GaussianNeighborhoodAttention(
                C, config.attn_dim, config.heads, gammas, config.n_samples,
                config.eval_samples, sampler, config.window, chunk_size=config.chunk_size,
                eval_seed=config.eval_seed)

        self.temporal = sampler is not None and config.variant != "s-gnanet"
        if self.temporal:
            m = config.clip_length
            self.fuse = nn.Sequential(nn.Conv2d(C * m, C, 3, padding=1), nn.ReLU(inplace=True))
            self.scene_gna = gna()
            self.scene = nn.Sequential(nn.Conv2d(2 * C, C, 3, padding=1), nn.ReLU(inplace=True))
            self.temporal_gna = gna()
            self.objective_gna = gna()
        elif sampler is not None:
            self.self_gna = gna()
        self.head = PredictionModule(C, config.width)
        self._init_weights()
        if config.backbone_weights:
            load_backbone_weights(self.backbone, config.backbone_weights)
        else:
            warn_random_init()

    def _init_weights(self) -> None:
        for mod in self.modules():
            if isinstance(mod, (nn.Conv2d, nn.ConvTranspose2d)):
                nn.init.kaiming_normal_(mod.weight, nonlinearity="relu")
                nn.init.zeros_(mod.bias)
        # Start at a 1% head probability (sparse maps): a sane initial BCE.
        nn.init.normal_(self.head.out.weight, std=0.01)
        nn.init.constant_(self.head.out.bias, -math.log(99.0))

    def extract(self, frames: torch.Tensor) -> torch.Tensor:
        """Backbone features of frames ``(N, 3, H, W)`` -> ``(N, C, H/8, W/8)``.

        Exposed so that inference can reuse per-frame features across clips.
        """
        return self.backbone(frames)

    def forward_features(self, feats: torch.Tensor) -> torch.Tensor:
        """Logits from per-frame features ``(B, m, C, h, w)`` -> ``(B, 1, 8h, 8w)``."""
        m = feats.shape[1]
        fc = feats[:, m // 2]
        if self.temporal:
            if m != self.config.clip_length:
                raise ConfigError(f"expected clips of {self.config.clip_length} frames, "
                                  f"got {m}")
            f = self.fuse(feats.flatten(1, 2))
            s = self.scene_gna(f)
            ctx = self.scene(torch.cat([f, s], 1))
            x = self.temporal_gna(ctx, feats) + self.objective_gna(ctx, fc) + fc
        elif hasattr(self, "self_gna"):
            x = fc + self.self_gna(fc)
        else:
            x = fc
        return self.head(x)

    def forward(self, clip: torch.Tensor) -> torch.Tensor:
        """``(B, m, 3, H, W)`` (H, W multiples of 8) -> logits ``(B, 1, H, W)``."""
        if clip.dim() == 4:
            clip = clip[:, None]
        B, m, _, H, W = clip.shape
        if H % 8 or W % 8:
            raise ConfigError(f"expected H and W multiples of 8, got {H}x{W} (pad first)")
        feats = self.extract(clip.flatten(0, 1))
        return self.forward_features(feats.view(B, m, *feats.shape[1:]))

    def config_dict(self) -> dict:
        return asdict(self.config)


def _factory(variant: str, default_m: int):
    def build(**options) -> GNANet:
        options.setdefault("clip_length", default_m)
        return GNANet(GNANetConfig(variant=variant, **options))

    build.__name__ = f"build_{variant.replace('-', '_')}"
    build.__doc__ = f"Build the ``{variant}`` variant of :class:`GNANet`."
    return build


for _name, _m in (("gnanet", 3), ("s-gnanet", 1), ("baseline", 1), ("lanet", 3),
                  ("ranet", 3), ("dranet", 3), ("gnanet-1focus", 3)):
    register_model(_name)(_factory(_name, _m))
