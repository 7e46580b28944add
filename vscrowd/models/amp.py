"""The one mixed-precision rule: bf16 autocast on CUDA, full precision elsewhere."""

from __future__ import annotations

import contextlib

import torch

__all__ = ["autocast"]


def autocast(device: torch.device | str, enabled: bool = True
             ) -> contextlib.AbstractContextManager:
    """bf16 autocast on a CUDA ``device`` when ``enabled``; a no-op context otherwise
    (CPU bf16 is slower than fp32 on the machines this project supports).

    >>> with autocast("cpu"):
    ...     torch.ones(2).dtype
    torch.float32
    """
    if enabled and torch.device(device).type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()
