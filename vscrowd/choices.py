"""The options that are a choice among names, declared once here (nothing imported but
the error types: a foundation module): the GNA module, GNANet's config, the training
config and the CLI import them, and ``vscrowd --help`` loads no torch for them.

Adding a sampler is one name in :data:`Sampler` (and :data:`FOCUS_SAMPLERS` when it
draws at a focus γ), its law in ``models/gna.py`` and a registered variant that uses it;
for the fused kernel, a mode in ``models/gna_triton.py`` (``TRITON_SAMPLERS``). A sampler
the kernel does not serve runs on the PyTorch path under ``backend="auto"`` and is
refused, with its name, under ``backend="triton"``. Adding a preset is one name in
:data:`Preset` and its settings in ``train/config.py`` (``PRESETS``).
"""

from __future__ import annotations

from typing import Literal, get_args

from .errors import ConfigError

__all__ = ["BACKBONE_NAMES", "BACKENDS", "BORDER_POLICIES", "DEVICES", "FOCUS_SAMPLERS",
           "LOSS_REDUCTIONS", "OPTIMIZERS", "OVERLAY_MAX_SIDE", "PRESET_NAMES", "SAMPLERS",
           "SCHEDULERS", "TILE", "Backend", "BackboneName", "BorderPolicy", "Device",
           "LossReduction", "Optimizer", "Preset", "Sampler", "Scheduler", "check_tile"]

# ---------------------------------------------------------------- the model
#: How GNA draws its keys: ``gaussian`` (GNA), ``local`` (all keys in a window: LANet),
#: ``uniform`` (over the whole map: RANet), ``disk`` (uniform in a disk of radius 3γ).
Sampler = Literal["gaussian", "local", "uniform", "disk"]
SAMPLERS: tuple[Sampler, ...] = get_args(Sampler)
#: The samplers that draw around the query at a focus γ (one pass per γ; the resample
#: border policy redraws them); the others ignore γ.
FOCUS_SAMPLERS: frozenset[Sampler] = frozenset({"gaussian", "disk"})

#: What happens to a sampled position off the map: ``clamp`` to the nearest edge pixel
#: (piles samples onto the border), ``reflect`` at the border (mirror, edge not
#: repeated), ``resample`` (redraw, up to 8 times, then reflect: a truncated law).
BorderPolicy = Literal["clamp", "reflect", "resample"]
BORDER_POLICIES: tuple[BorderPolicy, ...] = get_args(BorderPolicy)

#: The GNA implementation: ``auto`` (the fused Triton kernel on CUDA when it serves the
#: call, else PyTorch), ``triton`` (the kernel, or an error saying why not), ``torch``.
Backend = Literal["auto", "triton", "torch"]
BACKENDS: tuple[Backend, ...] = get_args(Backend)

#: The VGG16 front-end: the paper's first 10 conv layers, or all 13.
BackboneName = Literal["vgg16-10conv", "vgg16-13conv"]
BACKBONE_NAMES: tuple[BackboneName, ...] = get_args(BackboneName)

#: Where a model runs: ``auto`` (CUDA when available), ``cpu``, ``cuda``.
Device = Literal["auto", "cpu", "cuda"]
DEVICES: tuple[Device, ...] = get_args(Device)

# ---------------------------------------------------------------- training
#: A recipe (``vscrowd.train.config.PRESETS`` holds what each sets): ``vscrowd`` (the
#: default) or ``paper`` (only what the paper states; docs/model.md).
Preset = Literal["vscrowd", "paper"]
PRESET_NAMES: tuple[Preset, ...] = get_args(Preset)

Optimizer = Literal["sgd", "adam"]
OPTIMIZERS: tuple[Optimizer, ...] = get_args(Optimizer)

#: How the weighted BCE is reduced over pixels and batch (the paper: ``sum``, our reading).
LossReduction = Literal["mean", "sum"]
LOSS_REDUCTIONS: tuple[LossReduction, ...] = get_args(LossReduction)

#: Learning-rate schedule after the warm-up: ``cosine`` decay to 0, or ``none`` (fixed).
Scheduler = Literal["cosine", "none"]
SCHEDULERS: tuple[Scheduler, ...] = get_args(Scheduler)

#: The longest side (px) an overlay is drawn at by default (``vscrowd show --max-side``,
#: ``render_frame(max_side=)``): larger frames are downsampled, four megapixels at most;
#: 0 draws at full size.
OVERLAY_MAX_SIDE = 2048

#: The longest side (px) a frame is run through a model in one piece (``vscrowd predict
#: --tile``, ``predict(tile=)``, training validation): larger frames run in overlapping
#: tiles of this size (vscrowd/models/tiling.py), so memory is bounded on giant images;
#: every video dataset of the paper (1920x1080 at most) runs whole.
TILE = 2048


def check_tile(tile: int | None, name: str = "tile") -> int | None:
    """``tile`` if it is None (whole frames) or a positive multiple of 8, else a
    ConfigError (tiles start on the backbone's 8-pixel grid)."""
    if tile is not None and (isinstance(tile, bool) or not isinstance(tile, int)
                             or tile <= 0 or tile % 8):
        raise ConfigError(f"expected {name} to be a positive multiple of 8 (pixels) or "
                          f"None for whole frames, got {tile!r}")
    return tile
