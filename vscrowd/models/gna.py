"""Gaussian neighborhood attention (GNA), the op at the heart of GNANet.

For each query position p, N keys are sampled at ``p + round(ε)``, ``ε ~ N(0, γ²I)``
in each key frame (positions off the map handled by the border policy), and the output
is ``Σ softmax(q·k / sqrt(d)) · v`` over all sampled keys of all frames (one softmax).
As in the paper, Q, K and V are the input maps themselves ("Q, K, V ... are all
defined as F"); learned 1×1 projections are an option (``projections=True``).
Multi-focus GNA averages the outputs for several γ. Training draws fresh samples at
every forward; evaluation averages ``eval_samples`` draws from a generator seeded
with ``eval_seed``, so it is reproducible.

Memory is bounded by ``chunk_size`` queries at a time, independent of the frame
size: keys and values are gathered as rows of a channels-last ``(B·m·H·W, C)`` view
with ``index_select``, and under autograd each chunk is recomputed in the backward
pass (activation checkpointing) instead of storing the gathered tensors.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Literal

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from ..errors import ConfigError

__all__ = ["BORDER_POLICIES", "GaussianNeighborhoodAttention", "dense_attention",
           "gaussian_offsets", "reflect_index"]

Sampler = Literal["gaussian", "local", "uniform", "disk"]
#: What happens to a sampled position off the map: ``clamp`` to the nearest edge pixel
#: (piles samples onto the border), ``reflect`` at the border (mirror, edge not
#: repeated), ``resample`` (redraw, up to 8 times, then reflect: a truncated law).
BorderPolicy = Literal["clamp", "reflect", "resample"]
BORDER_POLICIES: tuple[str, ...] = ("clamp", "reflect", "resample")
_RESAMPLE_ROUNDS = 8
#: A custom sampler: (query positions (Q,) within the frame, H, W) -> (Q, G) positions.
IndexSampler = Callable[[torch.Tensor, int, int], torch.Tensor]


def gaussian_offsets(shape: Sequence[int], gamma: float,
                     generator: torch.Generator | None = None,
                     device: torch.device | str = "cpu") -> torch.Tensor:
    """Integer offsets ``round(ε)``, ``ε ~ N(0, γ²)``, shape ``(*shape, 2)`` (dy, dx)."""
    eps = torch.randn((*shape, 2), generator=generator, device=device) * gamma
    return torch.round(eps).long()


def reflect_index(i: torch.Tensor, n: int) -> torch.Tensor:
    """Mirror indices into ``[0, n)`` without repeating the edge (…, 1, 0, 1, …, n-1,
    n-2, …), periodically, so any offset lands on the map.

    >>> reflect_index(torch.tensor([-3, -1, 0, 4, 5, 9]), 5).tolist()
    [3, 1, 0, 4, 3, 1]
    """
    if n == 1:
        return torch.zeros_like(i)
    period = 2 * (n - 1)
    i = torch.remainder(i, period)
    return torch.where(i > n - 1, period - i, i)


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


def _chunk_attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, rows: torch.Tensor,
                     heads: int) -> torch.Tensor:
    """Attention of ``Q`` queries over their gathered key rows ``(Q, G)``."""
    Q, G = rows.shape
    d, C = q.shape[1], v.shape[1]
    flat = rows.reshape(-1)
    kr = k.index_select(0, flat).view(Q, G, heads, d // heads)
    vr = v.index_select(0, flat).view(Q, G, heads, C // heads)
    qh = q.view(Q, heads, d // heads)
    # Logits and softmax in (at least) fp32, even under bf16 autocast.
    acc = torch.promote_types(qh.dtype, torch.float32)
    logits = torch.einsum("qhd,qghd->qhg", qh.to(acc), kr.to(acc)) / math.sqrt(d // heads)
    attn = logits.softmax(-1).to(vr.dtype)
    return torch.einsum("qhg,qghc->qhc", attn, vr).reshape(Q, C)


class GaussianNeighborhoodAttention(nn.Module):
    """Multi-focus Gaussian neighborhood attention (and its ablation samplers).

    Args:
        channels: Input/output channels C (values keep C channels).
        dim: Query/key dimension d with ``projections`` (default C).
        heads: Attention heads (d and C must be divisible).
        gammas: Focus standard deviations γ in feature-map pixels.
        n_samples: Keys N sampled per query and key frame.
        eval_samples: Monte-Carlo draws T averaged in evaluation mode.
        sampler: ``"gaussian"`` (GNA), ``"local"`` (all keys in a ``window`` square:
            LANet), ``"uniform"`` (anywhere on the map: RANet) or ``"disk"`` (uniform
            in a disk of radius ``disk_scale·γ``: DRANet).
        disk_scale: DRANet's disk radius in units of γ (the paper: 3γ).
        border: Policy for sampled positions off the map (:data:`BORDER_POLICIES`).
        projections: Learned 1×1 Q/K/V convs (False: Q = query map, K = V = key maps,
            as the paper defines them).
        chunk_size: Queries processed at once (bounds memory).
        eval_seed: Seed of the evaluation-mode sampling (give each module its own).
        use_checkpoint: Recompute chunks in backward instead of storing them.

    Example:
        >>> gna = GaussianNeighborhoodAttention(8, n_samples=4).eval()
        >>> gna(torch.randn(2, 8, 5, 6)).shape
        torch.Size([2, 8, 5, 6])
    """

    def __init__(self, channels: int, dim: int | None = None, heads: int = 1,
                 gammas: Sequence[float] = (3.0, 5.0, 10.0), n_samples: int = 32,
                 eval_samples: int = 3, sampler: Sampler = "gaussian", window: int = 9,
                 disk_scale: float = 3.0, border: BorderPolicy = "reflect",
                 projections: bool = False, chunk_size: int = 1024, eval_seed: int = 0,
                 use_checkpoint: bool = True) -> None:
        super().__init__()
        dim = dim or channels
        if not projections and dim != channels:
            raise ConfigError(f"expected dim = channels ({channels}) without projections, "
                              f"got dim={dim}")
        if dim % heads or channels % heads:
            raise ConfigError(f"expected dim and channels divisible by heads={heads}, got "
                              f"dim={dim}, channels={channels}")
        if sampler not in ("gaussian", "local", "uniform", "disk"):
            raise ConfigError(f"expected sampler gaussian, local, uniform or disk, got "
                              f"{sampler!r}")
        if border not in BORDER_POLICIES:
            raise ConfigError(f"expected border in {list(BORDER_POLICIES)}, got {border!r}")
        if n_samples < 1 or eval_samples < 1 or chunk_size < 1:
            raise ConfigError("expected n_samples, eval_samples and chunk_size >= 1")
        if projections:
            self.q_proj = nn.Conv2d(channels, dim, 1)
            self.k_proj = nn.Conv2d(channels, dim, 1)
            self.v_proj = nn.Conv2d(channels, channels, 1)
        else:
            self.q_proj = self.k_proj = self.v_proj = nn.Identity()
        self.heads, self.gammas = heads, tuple(float(g) for g in gammas)
        self.n_samples, self.eval_samples = n_samples, eval_samples
        self.sampler, self.window, self.disk_scale = sampler, window, disk_scale
        self.border, self.projections = border, projections
        self.chunk_size, self.eval_seed = chunk_size, eval_seed
        self.use_checkpoint = use_checkpoint
        self.index_sampler: IndexSampler | None = None  # tests: fixed key positions

    def extra_repr(self) -> str:
        return (f"sampler={self.sampler}, gammas={self.gammas}, n_samples={self.n_samples}, "
                f"eval_samples={self.eval_samples}, heads={self.heads}, border={self.border}, "
                f"projections={self.projections}")

    # ------------------------------------------------------------------ sampling
    def _positions(self, p: torch.Tensor, H: int, W: int, m: int, gamma: float | None,
                   gen: torch.Generator | None) -> torch.Tensor:
        """Key positions within a frame, ``(Q, m, G)``, for queries at flat ``p``."""
        Q, dev = len(p), p.device
        if self.index_sampler is not None:
            pos = self.index_sampler(p, H, W).to(dev)
            return pos[:, None, :].expand(Q, m, pos.shape[1])
        y, x = (p // W)[:, None, None], (p % W)[:, None, None]
        if self.sampler == "uniform":
            yy = torch.randint(0, H, (Q, m, self.n_samples), generator=gen, device=dev)
            xx = torch.randint(0, W, (Q, m, self.n_samples), generator=gen, device=dev)
            return yy * W + xx
        if self.sampler == "local":  # deterministic window (resample acts as reflect)
            h = self.window // 2
            dy, dx = torch.meshgrid(torch.arange(-h, h + 1, device=dev),
                                    torch.arange(-h, h + 1, device=dev), indexing="ij")
            yy = (y + dy.reshape(1, 1, -1)).expand(Q, m, -1)
            xx = (x + dx.reshape(1, 1, -1)).expand(Q, m, -1)
        else:
            yy, xx = self._draw(y, x, (Q, m, self.n_samples), gamma, gen)
        if self.border == "resample" and self.sampler != "local":
            for _ in range(_RESAMPLE_ROUNDS):
                off = (yy < 0) | (yy >= H) | (xx < 0) | (xx >= W)
                if not bool(off.any()):
                    break
                ry, rx = self._draw(y, x, (Q, m, self.n_samples), gamma, gen)
                yy, xx = torch.where(off, ry, yy), torch.where(off, rx, xx)
        if self.border == "clamp":
            return yy.clamp(0, H - 1) * W + xx.clamp(0, W - 1)
        return reflect_index(yy, H) * W + reflect_index(xx, W)

    def _draw(self, y: torch.Tensor, x: torch.Tensor, shape: tuple[int, int, int],
              gamma: float, gen: torch.Generator | None) -> tuple[torch.Tensor, torch.Tensor]:
        """Unbounded positions around (y, x): Gaussian or uniform in a disk."""
        if self.sampler == "gaussian":
            off = gaussian_offsets(shape, gamma, gen, y.device)
            return y + off[..., 0], x + off[..., 1]
        u = torch.rand((*shape, 2), generator=gen, device=y.device)
        r = self.disk_scale * gamma * torch.sqrt(u[..., 0])
        t = 2 * math.pi * u[..., 1]
        return (y + torch.round(r * torch.sin(t)).long(),
                x + torch.round(r * torch.cos(t)).long())

    def _rows(self, qi: torch.Tensor, B: int, m: int, H: int, W: int, gamma, gen):
        b, p = qi // (H * W), qi % (H * W)
        pos = self._positions(p, H, W, m, gamma, gen)  # (Q, m, G)
        frame = torch.arange(m, device=qi.device).view(1, m, 1)
        return ((b[:, None, None] * m + frame) * (H * W) + pos).reshape(len(qi), -1)

    # ------------------------------------------------------------------ forward
    def forward(self, query: torch.Tensor,
                keys: torch.Tensor | Sequence[torch.Tensor] | None = None) -> torch.Tensor:
        """Attend from ``query`` ``(B, C, H, W)`` to ``keys``.

        Args:
            query: Query feature map.
            keys: None (self-attention), one map ``(B, C, H, W)``, a clip
                ``(B, m, C, H, W)`` or a list of m maps; one softmax spans all frames.

        Returns:
            ``(B, C, H, W)``.
        """
        B, C, H, W = query.shape
        if keys is None:
            kv = query[:, None]
        elif isinstance(keys, torch.Tensor):
            kv = keys if keys.dim() == 5 else keys[:, None]
        else:
            kv = torch.stack(list(keys), 1)
        m = kv.shape[1]
        if kv.shape[0] != B or kv.shape[2:] != (C, H, W):
            raise ConfigError(f"expected keys of shape (B={B}, m, {C}, {H}, {W}), got "
                              f"{tuple(kv.shape)}")
        q = self.q_proj(query).permute(0, 2, 3, 1).reshape(B * H * W, -1)
        flat_kv = kv.reshape(B * m, C, H, W)
        k = self.k_proj(flat_kv).permute(0, 2, 3, 1).reshape(B * m * H * W, -1)
        v = self.v_proj(flat_kv).permute(0, 2, 3, 1).reshape(B * m * H * W, C)

        random = self.index_sampler is None and self.sampler != "local"
        focuses: Sequence[float | None] = (self.gammas if self.sampler in ("gaussian", "disk")
                                           else (None,))
        repeats = self.eval_samples if (random and not self.training) else 1
        gen = None
        if random and not self.training:
            gen = torch.Generator(device=query.device).manual_seed(self.eval_seed)
        total = None
        for _ in range(repeats):
            for gamma in focuses:
                out = self._attend(q, k, v, B, m, H, W, gamma, gen)
                total = out if total is None else total + out
        total = total / (repeats * len(focuses))
        return total.view(B, H, W, C).permute(0, 3, 1, 2)

    def _attend(self, q, k, v, B, m, H, W, gamma, gen) -> torch.Tensor:
        n = B * H * W
        outs = []
        grad = torch.is_grad_enabled() and (q.requires_grad or k.requires_grad
                                            or v.requires_grad)
        for s in range(0, n, self.chunk_size):
            qi = torch.arange(s, min(n, s + self.chunk_size), device=q.device)
            with torch.no_grad():
                rows = self._rows(qi, B, m, H, W, gamma, gen)
            if grad and self.use_checkpoint:
                o = checkpoint(_chunk_attention, q[s:s + len(qi)], k, v, rows, self.heads,
                               use_reentrant=False)
            else:
                o = _chunk_attention(q[s:s + len(qi)], k, v, rows, self.heads)
            outs.append(o)
        return torch.cat(outs)


