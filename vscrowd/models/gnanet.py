"""GNANet (Li et al., TIP 2022) and the paper's ablation variants.

``backbone`` (VGG16 front-end, stride 8) runs on every frame of the clip. Then, for
the full model:

* scene modelling (SM): ``F = ReLU(conv3x3(cat(F_1..F_m)))``; ``S = GNA(F, F)`` with
  "Q, K, V ... all defined as F"; ``M = ReLU(conv3x3(cat(F, S)))``;
* context cross-attention: temporal GNA (T-GNA; query M, keys and values the clip's
  frames, one softmax over m·N keys) + objective-frame GNA (F-GNA; "K = V = F_c,
  Q = M"); ``X = T-GNA + F-GNA + F_c`` feeds
* the prediction module (RAZNet's localization branch): 3 x conv3x3 (dilation 2),
  3 x [deconv 3x3 stride 2 + conv3x3 dilation 2], ReLUs, 1x1 conv -> 1 logit map at
  the input resolution (inputs that are multiples of 8).

The variants (Tables XIII and XIV) switch these parts on and off; each is a builder
registered by name at the end of this file (``list_models()``), and ``forward`` only
asks which parts exist.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal

import torch
from torch import nn

from ..choices import BackboneName, Backend, BorderPolicy, Sampler
from ..clipwindow import check_clip_length
from ..errors import ConfigError
from .backbone import VGG16Backbone, load_backbone_weights, warn_random_init
from .gna import GaussianNeighborhoodAttention
from .options import check_options
from .registry import register_model

__all__ = ["GNANet", "GNANetConfig", "PredictionModule"]

Fuse = Literal["conv", "middle"]


@dataclass(frozen=True)
class GNANetConfig:
    """Options of :class:`GNANet` (defaults: the paper's GNANet).

    The structural switches (``fuse``, ``scene_modelling``, ``objective_gna``,
    ``temporal_gna``, ``self_gna``, ``sampler``) are fixed by each registered variant.
    """

    clip_length: int = 3  # m frames per clip (1 for single-image variants)
    width: float = 1.0  # channel multiplier; < 1 only for CPU demos/tests
    backbone: BackboneName = "vgg16-10conv"  # the paper's front-end; or "vgg16-13conv"
    # --- structure (fixed per variant)
    fuse: Fuse = "conv"  # F from all m frames by conv (paper), or the middle frame only
    scene_modelling: bool = True  # SM: M = ReLU(conv(cat(F, GNA(F, F))))
    objective_gna: bool = True  # F-GNA: Q = M, K = V = F_c
    temporal_gna: bool = True  # T-GNA: Q = M, K = V = all m frames
    self_gna: bool = False  # S-GNANet: X = F_c + GNA(F_c, F_c)
    sampler: Sampler = "gaussian"  # gaussian (GNA), local (LANet), uniform (RANet), disk
    # --- attention
    gammas: tuple[float, ...] = (3.0, 5.0, 10.0)  # focus std in feature pixels
    n_samples: int = 32  # N keys per query and frame
    eval_samples: int = 3  # T Monte-Carlo draws averaged at evaluation
    window: int = 9  # LANet window
    disk_scale: float = 3.0  # DRANet: uniform in a disk of radius 3γ (paper)
    border: BorderPolicy = "reflect"  # sampled positions off the map (docs/model.md)
    projections: bool = False  # learned 1x1 Q/K/V (the paper has none)
    attn_dim: int | None = None  # q/k dimension with projections (default: C)
    heads: int = 1
    chunk_size: int = 1024  # queries per GNA chunk (bounds memory; PyTorch path)
    backend: Backend = "auto"  # GNA kernel: Triton on CUDA when available, else PyTorch
    eval_seed: int = 0  # each module mixes its index into it
    backbone_weights: str | None = field(default=None, compare=False)

    def validate(self) -> None:
        check_clip_length(self.clip_length, "clip_length")
        check_options(self)  # types and ranges, before anything is allocated
        if self.fuse == "middle" and self.clip_length != 1 and not self.attends:
            raise ConfigError(f"expected clip_length 1 for a single-frame model, got "
                              f"{self.clip_length}")
        if self.self_gna and self.clip_length != 1:
            raise ConfigError(f"expected clip_length 1 for s-gnanet (single image), got "
                              f"{self.clip_length}")
        if not self.gammas:
            raise ConfigError("expected at least one focus γ")

    @property
    def attends(self) -> bool:
        """Whether any GNA module exists."""
        return (self.scene_modelling or self.objective_gna or self.temporal_gna
                or self.self_gna)


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

    #: Input pixels per feature pixel of :meth:`extract` (what tiling aligns tiles to).
    feature_stride = 8

    def __init__(self, config: GNANetConfig | None = None, **options) -> None:
        super().__init__()
        config = config or GNANetConfig(**options)
        config.validate()
        self.config = config
        self.backbone = VGG16Backbone(config.width, config.backbone)
        C = self.backbone.out_channels
        m = config.clip_length
        n_modules = 0

        def gna() -> GaussianNeighborhoodAttention:
            nonlocal n_modules
            n_modules += 1  # each module samples from its own evaluation stream
            return GaussianNeighborhoodAttention(
                C, config.attn_dim, config.heads, config.gammas, config.n_samples,
                config.eval_samples, config.sampler, config.window, config.disk_scale,
                config.border, config.projections, chunk_size=config.chunk_size,
                backend=config.backend,
                eval_seed=_module_seed(config.eval_seed, n_modules))

        def conv_relu(c_in: int) -> nn.Module:
            return nn.Sequential(nn.Conv2d(c_in, C, 3, padding=1), nn.ReLU(inplace=True))

        self.fuse = conv_relu(C * m) if config.fuse == "conv" else None
        self.scene_gna = gna() if config.scene_modelling else None
        self.scene = conv_relu(2 * C) if config.scene_modelling else None
        self.temporal_gna = gna() if config.temporal_gna else None
        self.objective_gna = gna() if config.objective_gna else None
        self.self_gna = gna() if config.self_gna else None
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
        if m != self.config.clip_length:
            raise ConfigError(f"expected clips of {self.config.clip_length} frames, got {m}")
        fc = feats[:, m // 2]
        x = fc if self.fuse is None else self.fuse(feats.flatten(1, 2))  # F
        if self.scene is not None:
            x = self.scene(torch.cat([x, self.scene_gna(x)], 1))  # M
        if self.temporal_gna is not None or self.objective_gna is not None:
            ctx, x = x, fc
            if self.temporal_gna is not None:
                x = x + self.temporal_gna(ctx, feats)
            if self.objective_gna is not None:
                x = x + self.objective_gna(ctx, fc)
        if self.self_gna is not None:
            x = fc + self.self_gna(fc)
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

    def gna_modules(self) -> list[GaussianNeighborhoodAttention]:
        """The GNA modules in creation order (their evaluation seeds follow it)."""
        return [m for m in (self.scene_gna, self.temporal_gna, self.objective_gna,
                            self.self_gna) if m is not None]

    def set_eval_sampling(self, samples: int | None = None, seed: int | None = None) -> None:
        """Change T (evaluation draws) and/or the evaluation seed of every GNA module;
        each module keeps a stream of its own."""
        if samples is not None and samples < 1:
            raise ConfigError(f"expected eval samples >= 1, got {samples}")
        for index, gna in enumerate(self.gna_modules(), start=1):
            if samples is not None:
                gna.eval_samples = samples
            if seed is not None:
                gna.eval_seed = _module_seed(seed, index)


def _module_seed(seed: int, index: int) -> int:
    """A distinct, reproducible evaluation seed per GNA module (index mixed in)."""
    return (seed * 0x9E3779B1 + index * 0x85EBCA6B) % 2**63


#: Options the variants fix; passing one to ``build_model`` is an error.
STRUCTURE = ("fuse", "scene_modelling", "objective_gna", "temporal_gna", "self_gna",
             "sampler")
_OPTIONS = tuple(f.name for f in fields(GNANetConfig))


def _build(name: str, options: dict[str, Any], **fixed: Any) -> GNANet:
    """A variant: ``fixed`` are its structure (not overridable) and its defaults."""
    unknown = sorted(set(options) - set(_OPTIONS))
    if unknown:
        raise ConfigError(f"unknown option(s) {unknown} for model {name!r}; expected "
                          f"some of {sorted(set(_OPTIONS) - set(STRUCTURE))}")
    fixed_here = sorted(set(options) & set(STRUCTURE))
    if fixed_here:
        raise ConfigError(f"option(s) {fixed_here} are fixed by model {name!r}; choose "
                          "another registered model (vscrowd.models.list_models())")
    structure = {k: v for k, v in fixed.items() if k in STRUCTURE}
    defaults = {k: v for k, v in fixed.items() if k not in STRUCTURE}
    return GNANet(GNANetConfig(**{**defaults, **options, **structure}))


_FULL = {"scene_modelling": True, "objective_gna": True, "temporal_gna": True}
_NONE = {"scene_modelling": False, "objective_gna": False, "temporal_gna": False}


@register_model("gnanet")
def gnanet(**options: Any) -> GNANet:
    """GNANet: SM + F-GNA + T-GNA, multi-focus γ = 3/5/10 (Table XIII, last row;
    Table II)."""
    return _build("gnanet", options, **_FULL)


@register_model("gnanet-1focus")
def gnanet_1focus(**options: Any) -> GNANet:
    """SM + F-GNA + T-GNA with a single focus γ = 5 (Table XIII, fifth row; Table XIV's
    GNANet)."""
    return _build("gnanet-1focus", options, **_FULL, gammas=(5.0,))


@register_model("sm")
def sm(**options: Any) -> GNANet:
    """Scene modelling only: the scene context M feeds the prediction module (Table XIII,
    second row)."""
    return _build("sm", options, scene_modelling=True, objective_gna=False,
                  temporal_gna=False, gammas=(5.0,))


@register_model("sm-f")
def sm_f(**options: Any) -> GNANet:
    """SM + objective-frame GNA: X = F-GNA(M, F_c) + F_c (Table XIII, third row)."""
    return _build("sm-f", options, scene_modelling=True, objective_gna=True,
                  temporal_gna=False, gammas=(5.0,))


@register_model("sm-t")
def sm_t(**options: Any) -> GNANet:
    """SM + temporal GNA: X = T-GNA(M, clip) + F_c (Table XIII, fourth row)."""
    return _build("sm-t", options, scene_modelling=True, objective_gna=False,
                  temporal_gna=True, gammas=(5.0,))


@register_model("baseline")
def baseline(**options: Any) -> GNANet:
    """The paper's baseline: the m frames' features fused by conv, sent to the prediction
    module (Table XIII, first row)."""
    return _build("baseline", options, **_NONE)


@register_model("baseline-1frame", clip_length=1)
def baseline_1frame(**options: Any) -> GNANet:
    """No attention, middle frame only (vscrowd 0.1's baseline)."""
    return _build("baseline-1frame", options, **_NONE, fuse="middle", clip_length=1)


@register_model("s-gnanet", clip_length=1)
def s_gnanet(**options: Any) -> GNANet:
    """S-GNANet: single image, X = F_c + GNA(F_c, F_c) (Tables VI-VIII)."""
    return _build("s-gnanet", options, **_NONE, fuse="middle", self_gna=True, clip_length=1)


@register_model("lanet")
def lanet(**options: Any) -> GNANet:
    """LANet: GNA replaced by local attention over a 9x9 window (Table XIV)."""
    return _build("lanet", options, **_FULL, sampler="local", gammas=(5.0,))


@register_model("ranet")
def ranet(**options: Any) -> GNANet:
    """RANet: GNA replaced by random attention, N keys uniform over the map
    (Table XIV)."""
    return _build("ranet", options, **_FULL, sampler="uniform", gammas=(5.0,))


@register_model("dranet")
def dranet(**options: Any) -> GNANet:
    """DRANet: keys uniform in a disk of radius 3γ, γ = 5, single focus (Table XIV)."""
    return _build("dranet", options, **_FULL, sampler="disk", gammas=(5.0,))
