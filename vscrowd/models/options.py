"""Types and ranges of the model options, checked before anything is allocated.

A model's options come from files others wrote (an export's ``config.json``, a
checkpoint's config). Each is checked for its type and range here, so a wrong one is a
:class:`~vscrowd.errors.ConfigError` naming the option -- not a ``TypeError`` deep in
PyTorch, nor terabytes requested from the allocator. The ranges are generous (far beyond
any published setting); the memory one is derived from the model's own width: the
samples one GNA chunk gathers, ``chunk_size × clip_length × n_samples × channels``
float32 values, must fit in :data:`MAX_CHUNK_BYTES`.
"""

from __future__ import annotations

import math
from typing import Any

from ..errors import ConfigError

__all__ = ["MAX_CHUNK_BYTES", "check_options"]

#: The most bytes one GNA chunk's sampled keys may take.
MAX_CHUNK_BYTES = 8 * 2**30
_INTS = {"n_samples": (1, 65_536), "eval_samples": (1, 1_024), "window": (1, 255),
         "heads": (1, 1_024), "chunk_size": (1, 2**24), "eval_seed": (0, 2**63 - 1)}
_FLOATS = {"width": (0.0, 16.0), "disk_scale": (0.0, 1_000.0)}  # exclusive lower bound
_MAX_GAMMAS, _MAX_GAMMA = 16, 1e4


def _is_int(v: Any) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)


def check_options(config: Any) -> None:
    """Raise :class:`ConfigError` for the first option of ``config`` (a GNANetConfig)
    of the wrong type or out of range."""
    for name, (low, high) in _INTS.items():
        v = getattr(config, name)
        if not _is_int(v) or not low <= v <= high:
            raise ConfigError(f"expected {name} as an integer from {low} to {high:,}, got "
                              f"{v!r}")
    for name, (low, high) in _FLOATS.items():
        v = getattr(config, name)
        if not _is_number(v) or not low < v <= high:
            raise ConfigError(f"expected {name} as a number > {low:g} and <= {high:g}, got "
                              f"{v!r}")
    g = config.gammas
    if (not isinstance(g, (tuple, list)) or not 1 <= len(g) <= _MAX_GAMMAS
            or not all(_is_number(x) and 0 < x <= _MAX_GAMMA for x in g)):
        raise ConfigError(f"expected gammas as a list of 1 to {_MAX_GAMMAS} numbers > 0 and "
                          f"<= {_MAX_GAMMA:g}, got {g!r}")
    if config.attn_dim is not None and (not _is_int(config.attn_dim)
                                        or not 1 <= config.attn_dim <= 65_536):
        raise ConfigError(f"expected attn_dim as an integer from 1 to 65,536 (or null), got "
                          f"{config.attn_dim!r}")
    for name in ("scene_modelling", "objective_gna", "temporal_gna", "self_gna",
                 "projections"):
        if not isinstance(getattr(config, name), bool):
            raise ConfigError(f"expected {name} as true or false, got "
                              f"{getattr(config, name)!r}")
    channels = max(4, round(512 * config.width))
    need = 4 * config.chunk_size * max(config.clip_length, 1) * config.n_samples * channels
    if need > MAX_CHUNK_BYTES:
        raise ConfigError(f"chunk_size {config.chunk_size:,} x n_samples "
                          f"{config.n_samples:,} x {channels} channels would gather "
                          f"{need / 2**30:.1f} GiB per GNA chunk (at most "
                          f"{MAX_CHUNK_BYTES / 2**30:.0f} GiB); lower chunk_size or n_samples")
