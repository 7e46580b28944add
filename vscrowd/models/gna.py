"""Gaussian neighborhood attention (GNA), the op at the heart of GNANet.

For each query position p, N keys are sampled at ``p + round(ε)``, ``ε ~ N(0, γ²I)``
in each key frame (positions off the map handled by the border policy), and the output
is ``Σ softmax(q·k / sqrt(d)) · v`` over all sampled keys of all frames (one softmax).
As in the paper, Q, K and V are the input maps themselves ("Q, K, V ... are all
defined as F"); learned 1×1 projections are an option (``projections=True``).
Multi-focus GNA averages the outputs for several γ. Training draws fresh samples at
every forward; evaluation averages ``eval_samples`` draws from a generator seeded
with ``eval_seed``, so it is reproducible, and independent of the chunk size (all
queries' positions are drawn at once: 4 bytes per query, key frame and sample).

Two backends follow one sampling law (``backend``):

* ``torch``: memory is bounded by ``chunk_size`` queries at a time, independent of the
  frame size: keys and values are gathered as rows of a channels-last ``(B·m·H·W, C)``
  view with ``index_select``, and under autograd each chunk is recomputed in the
  backward pass (activation checkpointing) instead of storing the gathered tensors.
  At inference on CUDA the chunk grows to what a quarter of the free memory holds.
* ``triton``: one fused kernel per call (``gna_triton.py``) that draws the positions
  itself with Philox; nothing of size queries × samples is ever stored.

``auto`` (the default) takes Triton on CUDA when it imports and the options are ones
the kernel serves (one head, ``dim = channels``, fp32/bf16/fp16), the PyTorch path
otherwise; and the PyTorch path whenever deterministic algorithms are on and a
backward will run (the kernel's dK/dV use fp32 atomics). The two backends draw from
different generators: same law, different samples.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.utils.checkpoint import checkpoint

from .._optional import optional_module
from ..choices import (
    BACKENDS,
    BORDER_POLICIES,
    FOCUS_SAMPLERS,
    SAMPLERS,
    Backend,
    BorderPolicy,
    Sampler,
)
from ..errors import ConfigError
from .gna_torch import chunk_attention, dense_attention, inference_chunk

__all__ = ["BACKENDS", "BORDER_POLICIES", "GaussianNeighborhoodAttention", "dense_attention",
           "gaussian_offsets", "reflect_index", "triton_available"]

_RESAMPLE_ROUNDS = 8
#: A custom sampler: (query positions (Q,) within the frame, H, W) -> (Q, G) positions,
#: or (Q, m, G) for one set per key frame.
IndexSampler = Callable[[torch.Tensor, int, int], torch.Tensor]
_NO_TRITON = "the Triton GNA backend needs the triton package (pip install triton)"


def triton_available() -> bool:
    """Whether the Triton kernel can be imported here (the package is installed)."""
    return optional_module("triton") is not None


def _interpreting() -> bool:
    return os.environ.get("TRITON_INTERPRET") == "1"


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
        backend: ``auto``, ``triton`` or ``torch`` (see the module docstring).

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
                 use_checkpoint: bool = True, backend: Backend = "auto") -> None:
        super().__init__()
        dim = dim or channels
        if not projections and dim != channels:
            raise ConfigError(f"expected dim = channels ({channels}) without projections, "
                              f"got dim={dim}")
        if dim % heads or channels % heads:
            raise ConfigError(f"expected dim and channels divisible by heads={heads}, got "
                              f"dim={dim}, channels={channels}")
        if sampler not in SAMPLERS:
            raise ConfigError(f"expected sampler in {list(SAMPLERS)}, got {sampler!r}")
        if border not in BORDER_POLICIES:
            raise ConfigError(f"expected border in {list(BORDER_POLICIES)}, got {border!r}")
        if backend not in BACKENDS:
            raise ConfigError(f"expected backend in {list(BACKENDS)}, got {backend!r}")
        if backend == "triton" and not triton_available():
            raise ConfigError(_NO_TRITON)
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
        self.use_checkpoint, self.backend = use_checkpoint, backend
        self.index_sampler: IndexSampler | None = None  # tests: fixed key positions

    def extra_repr(self) -> str:
        return (f"sampler={self.sampler}, gammas={self.gammas}, n_samples={self.n_samples}, "
                f"eval_samples={self.eval_samples}, heads={self.heads}, border={self.border}, "
                f"projections={self.projections}, backend={self.backend}")

    # ------------------------------------------------------------------ sampling
    def _positions(self, p: torch.Tensor, H: int, W: int, m: int, gamma: float | None,
                   gen: torch.Generator | None) -> torch.Tensor:
        """Key positions within a frame, ``(Q, m, G)``, for queries at flat ``p``."""
        Q, dev = len(p), p.device
        if self.index_sampler is not None:
            pos = self.index_sampler(p, H, W).to(dev)
            return pos[:, None, :].expand(Q, m, pos.shape[1]) if pos.dim() == 2 else pos
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
        if self._use_triton(q, k, v):
            total = self._attend_triton(q, k, v, B, m, H, W)
        else:
            total = self._attend_torch(q, k, v, B, m, H, W, query.device)
        return total.view(B, H, W, C).permute(0, 3, 1, 2)

    @property
    def _random(self) -> bool:
        return self.index_sampler is None and self.sampler != "local"

    def _focuses(self) -> tuple[float | None, ...]:
        return self.gammas if self.sampler in FOCUS_SAMPLERS else (None,)

    def _draws(self) -> int:
        return self.eval_samples if (self._random and not self.training) else 1

    # ------------------------------------------------------------------ backends
    def _use_triton(self, q: torch.Tensor, k: torch.Tensor, v: torch.Tensor) -> bool:
        """Whether this call runs the fused kernel; ``backend="triton"`` raises where
        the kernel cannot serve the call instead of silently running elsewhere."""
        if self.backend == "torch":
            return False
        explicit = self.backend == "triton"
        grad = torch.is_grad_enabled() and any(t.requires_grad for t in (q, k, v))
        if explicit and not (q.is_cuda or _interpreting()):
            raise ConfigError(f"backend='triton' runs on CUDA tensors (or on CPU in "
                              f"Triton's interpreter, TRITON_INTERPRET=1), got {q.device}")
        if not explicit and not (q.is_cuda and triton_available()):
            return False  # (an explicit backend checked the install when built)
        from .gna_triton import SUPPORTED_DTYPES, TRITON_SAMPLERS

        why = None
        if self.index_sampler is None and self.sampler not in TRITON_SAMPLERS:
            why = (f"the samplers {sorted(TRITON_SAMPLERS)}, got sampler={self.sampler!r} "
                   "(a sampler without a kernel mode)")
        elif self.heads != 1 or q.shape[1] != v.shape[1]:
            why = (f"one head with dim = channels, got heads={self.heads}, "
                   f"dim={q.shape[1]}, channels={v.shape[1]}")
        elif not (q.dtype == k.dtype == v.dtype) or q.dtype not in SUPPORTED_DTYPES:
            why = (f"fp32, bf16 or fp16 inputs of one dtype, got {q.dtype}/{k.dtype}/"
                   f"{v.dtype} for maps of shape {tuple(q.shape)}")
        elif grad and torch.are_deterministic_algorithms_enabled():
            why = ("no deterministic mode (its backward uses fp32 atomics), got "
                   "torch.use_deterministic_algorithms(True)")
        if why and explicit:
            raise ConfigError(f"the Triton GNA kernel serves {why}; use backend='auto' "
                              "or 'torch'")
        return why is None

    def _kernel_positions(self, B: int, m: int, H: int, W: int,
                          device: torch.device) -> torch.Tensor:
        """The test sampler's positions as the kernel's given-positions tensor."""
        p = torch.arange(H * W, device=device).repeat(B)
        pos = self.index_sampler(p, H, W).to(device)
        pos = pos[:, None, :].expand(-1, m, -1) if pos.dim() == 2 else pos
        return pos[:, None]  # (B·H·W, passes = 1, m, G)

    def _attend_triton(self, q, k, v, B, m, H, W) -> torch.Tensor:
        from .gna_triton import KernelSampling, gna_triton

        positions = None
        if self.index_sampler is not None:
            positions = self._kernel_positions(B, m, H, W, q.device)
            spec = KernelSampling("given", (1.0,), positions.shape[-1])
        else:
            gammas = tuple(g or 1.0 for g in self._focuses())
            spec = KernelSampling(self.sampler, gammas, self.n_samples, self._draws(),
                                  self.border, self.window, self.disk_scale)
        # Training: a fresh Philox stream per forward from torch's generator (so a
        # seeded, resumed run repeats it); evaluation: the module's fixed stream.
        seed = (int(torch.randint(0, 2**31 - 1, ())) if self.training and self._random
                else self.eval_seed)
        return gna_triton(q, k, v, H, W, spec, seed=seed, positions=positions)

    def _attend_torch(self, q, k, v, B, m, H, W, device) -> torch.Tensor:
        gen = None
        if self._random and not self.training:
            gen = torch.Generator(device=device).manual_seed(self.eval_seed)
        focuses, draws = self._focuses(), self._draws()
        total = None
        for _ in range(draws):
            for gamma in focuses:
                out = self._attend(q, k, v, B, m, H, W, gamma, gen)
                total = out if total is None else total + out
        return total / (draws * len(focuses))

    def _attend(self, q, k, v, B, m, H, W, gamma, gen) -> torch.Tensor:
        n = B * H * W
        outs = []
        grad = torch.is_grad_enabled() and (q.requires_grad or k.requires_grad
                                            or v.requires_grad)
        chunk = self.chunk_size
        if not grad:
            per_query = m * (self.window ** 2 if self.sampler == "local" else self.n_samples)
            chunk = inference_chunk(chunk, n, per_query, v.shape[1], v.element_size(),
                                     q.device)
        drawn = None
        if gen is not None:
            # Evaluation: every query's positions drawn in one call, so the draws do not
            # depend on the chunk size (which, on CUDA, follows the free memory).
            with torch.no_grad():
                drawn = self._rows(torch.arange(n, device=q.device), B, m, H, W, gamma,
                                   gen).to(torch.int32)
        for s in range(0, n, chunk):
            qi = torch.arange(s, min(n, s + chunk), device=q.device)
            if drawn is not None:
                rows = drawn[s:s + len(qi)].long()
            else:
                with torch.no_grad():
                    rows = self._rows(qi, B, m, H, W, gamma, gen)
            if grad and self.use_checkpoint:
                o = checkpoint(chunk_attention, q[s:s + len(qi)], k, v, rows, self.heads,
                               use_reentrant=False)
            else:
                o = chunk_attention(q[s:s + len(qi)], k, v, rows, self.heads)
            outs.append(o)
        return torch.cat(outs)
