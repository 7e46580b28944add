"""The model options that are a choice among names, declared once here: the GNA module,
GNANet's config, the training config and the CLI import them (this module needs no
torch, so ``vscrowd --help`` stays light).

Adding a sampler is one name in :data:`Sampler`, its law in ``gna.py`` and, for the
fused kernel, a mode in ``gna_triton.py`` (``TRITON_SAMPLERS``); a sampler the kernel
does not serve runs on the PyTorch path under ``backend="auto"`` and is refused, with
its name, under ``backend="triton"``.
"""

from __future__ import annotations

from typing import Literal, get_args

__all__ = ["BACKBONE_NAMES", "BACKENDS", "BORDER_POLICIES", "DEVICES", "FOCUS_SAMPLERS",
           "SAMPLERS", "Backend",
           "BackboneName", "BorderPolicy", "Device", "Sampler"]

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
