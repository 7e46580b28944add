"""The PyTorch path of GNA: attention of a chunk of queries over gathered key rows, its
fp32 logits, the inference chunk size, and the dense reference the tests compare with."""

from __future__ import annotations

import functools
import math

import torch

__all__ = ["chunk_attention", "dense_attention", "fp32_logits", "inference_chunk"]


def dense_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> torch.Tensor:
    """Reference: full softmax attention over all key positions of all frames.

    Args:
        q: ``(B, d, H, W)``; k: ``(B, m, d, H, W)``; v: ``(B, m, C, H, W)``.

    Returns:
        ``(B, C, H, W)``.
    """
    B, d, H, W = q.shape
    qf = q.flatten(2).transpose(1, 2)  # (B, HW, d)
    kf = k.permute(0, 1, 3, 4, 2).reshape(B, -1, d)  # (B, mHW, d)
    vf = v.permute(0, 1, 3, 4, 2).reshape(B, -1, v.shape[2])
    attn = (qf @ kf.transpose(1, 2) / math.sqrt(d)).softmax(-1)
    return (attn @ vf).transpose(1, 2).reshape(B, -1, H, W)


def chunk_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, rows: torch.Tensor,
                     heads: int) -> torch.Tensor:
    """Attention of ``Q`` queries over their gathered key rows ``(Q, G)``."""
    Q, G = rows.shape
    d, C = q.shape[1], v.shape[1]
    flat = rows.reshape(-1)
    kr = k.index_select(0, flat).view(Q, G, heads, d // heads)
    vr = v.index_select(0, flat).view(Q, G, heads, C // heads)
    qh = q.view(Q, heads, d // heads)
    logits = fp32_logits(qh, kr) / math.sqrt(d // heads)
    attn = logits.softmax(-1).to(vr.dtype)
    return torch.einsum("qhg,qghc->qhc", attn, vr).reshape(Q, C)


def fp32_logits(qh: torch.Tensor, kr: torch.Tensor) -> torch.Tensor:
    """``(Q, heads, G)`` logits in (at least) fp32, even under bf16 autocast.

    On CUDA with half inputs the matmul accumulates into an fp32 output
    (``bmm(..., out_dtype=float32)``) instead of promoting every gathered key row to
    fp32 first: on an H100 those copies were 47 % of the GPU time.
    """
    Q, G, h, dh = kr.shape
    if qh.is_cuda and qh.dtype in (torch.bfloat16, torch.float16) and _bmm_out_dtype():
        rows = kr.permute(0, 2, 1, 3).reshape(Q * h, G, dh)  # a view for one head
        out = torch.bmm(rows, qh.reshape(Q * h, dh, 1), out_dtype=torch.float32)
        return out.view(Q, h, G)
    acc = torch.promote_types(qh.dtype, torch.float32)
    return torch.einsum("qhd,qghd->qhg", qh.to(acc), kr.to(acc))


@functools.cache
def _bmm_out_dtype() -> bool:
    """Probed once: does this build have ``bmm(out_dtype=)`` on CUDA, with a backward?"""
    try:
        a = torch.zeros(1, 1, 8, device="cuda", dtype=torch.bfloat16, requires_grad=True)
        torch.bmm(a, a.transpose(1, 2), out_dtype=torch.float32).sum().backward()
    except (TypeError, RuntimeError, NotImplementedError):
        return False
    return True


def inference_chunk(chunk: int, n: int, rows: int, C: int, elem: int,
                     device: torch.device) -> int:
    """Queries per chunk without autograd: on CUDA as many as a quarter of the free
    memory holds (gathered K and V rows plus fp32 logits per query), as a power of two
    so that the figure is stable; elsewhere ``chunk`` (CPU caches favour small chunks)."""
    if device.type != "cuda":
        return chunk
    free, _ = torch.cuda.mem_get_info(device)
    per_query = rows * (2 * C * elem + 8)
    fit = max(1, free // 4 // per_query)
    return max(chunk, min(n, 1 << (fit.bit_length() - 1)))
