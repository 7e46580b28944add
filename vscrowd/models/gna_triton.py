"""A fused Triton kernel for Gaussian neighborhood attention (forward and backward).

One launch per module call covers every focus γ, every evaluation draw and all m key
frames. Each program owns a block of queries (row-major, so neighbours' samples share
cache lines) and loops over (pass, key frame, sample); a sample's position is drawn
*inside* the kernel with Philox from ``(seed, query, pass, frame, sample)``, rounded,
and brought back onto the map by the border policy, so no index tensor and no gathered
key/value rows ever reach global memory. Logits and the (online) softmax are fp32
whatever the input dtype; the output is the average over the passes, accumulated in
registers. Memory: O(B·m·H·W·C) plus the softmax's fp32 max and denominator per query
and pass (kept apart, not as one log-sum-exp: see ``_fwd_kernel``).

The backward pass regenerates the same positions from the same seed: dQ is written by
its program, dK and dV are accumulated with fp32 atomics (as Deformable DETR's
MSDeformAttn op does), so their summation order, and the last bits, vary between runs.
Under ``torch.use_deterministic_algorithms(True)`` the module uses the PyTorch path
instead (see :class:`~vscrowd.models.gna.GaussianNeighborhoodAttention`).

A *given-positions* mode reads the positions from a tensor instead of drawing them: it
lets tests compare the kernel with the PyTorch path exactly.

Runs on CUDA, and on CPU in Triton's interpreter (``TRITON_INTERPRET=1``, set before
this module is imported): that is how the test suite checks it without a GPU.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import torch
import triton
import triton.language as tl

from ..choices import FOCUS_SAMPLERS

__all__ = ["AUTOTUNE_CONFIGS", "KernelConfig", "KernelSampling", "PHILOX_VERIFIED",
           "SUPPORTED_DTYPES", "TRITON_SAMPLERS", "gna_triton"]

#: Input dtypes the kernel takes (accumulation is fp32 for all of them).
SUPPORTED_DTYPES = (torch.float32, torch.bfloat16, torch.float16)
_MODES = {"gaussian": 0, "disk": 1, "uniform": 2, "local": 3, "given": 4}
#: The samplers (vscrowd.choices.Sampler) the kernel draws itself; the others
#: run on the PyTorch path (GaussianNeighborhoodAttention._use_triton checks).
TRITON_SAMPLERS: frozenset[str] = frozenset(_MODES) - {"given"}
_BORDERS = {"clamp": 0, "reflect": 1, "resample": 2}
_RESAMPLE_ROUNDS = 8  # as the PyTorch path: then reflect
#: Triton versions whose in-kernel Philox/Box-Muller stream (``tl.randn4x``,
#: ``tl.rand4x``) this module's evaluation draws were checked with: the stream is pinned
#: by ``tests/models/test_gna_chunks.py::test_philox_stream_fingerprint``, which fails on
#: a triton whose stream differs (then evaluation draws differ from these versions').
PHILOX_VERIFIED = ("3.9.0",)


@dataclass(frozen=True)
class KernelConfig:
    """Launch configuration: queries per program and warps (the output does not
    depend on it: each query is computed alone, its draws keyed by its index).

    ``block_q`` None: fp32 tiles near 8K values (32 queries at C <= 256, 16 at 512);
    ``num_warps``/``num_stages`` None: triton's defaults.
    """

    block_q: int | None = None
    num_warps: int | None = None
    num_stages: int | None = None


#: The configurations ``benchmarks/gna_kernel_sweep.py`` times on a GPU (the default
#: stays until a measured sweep says otherwise).
AUTOTUNE_CONFIGS: tuple[KernelConfig, ...] = tuple(
    KernelConfig(bq, w, st) for bq in (4, 8, 16, 32, 64) for w in (2, 4, 8) for st in (1, 2))


@dataclass(frozen=True)
class KernelSampling:
    """The sampling law the kernel applies (the PyTorch path's, see ``gna.py``).

    ``passes`` = ``draws · len(gammas)``; pass ``p`` uses ``gammas[p % len(gammas)]``.
    ``samples`` is N (``window²`` for the local sampler).
    """

    sampler: Literal["gaussian", "disk", "uniform", "local", "given"]
    gammas: tuple[float, ...]
    samples: int
    draws: int = 1
    border: Literal["clamp", "reflect", "resample"] = "reflect"
    window: int = 9
    disk_scale: float = 3.0

    @property
    def passes(self) -> int:
        return self.draws * len(self.gammas)


@triton.jit
def _round_half_even(v):
    """torch.round's rule (ties to even), so both paths share one sampling law."""
    f = tl.floor(v)
    d = v - f
    odd = (f - 2.0 * tl.floor(f * 0.5)) != 0.0
    up = (d > 0.5) | ((d == 0.5) & odd)
    return tl.where(up, f + 1.0, f).to(tl.int32)


@triton.jit
def _reflect(i, n):
    """Mirror into [0, n) without repeating the edge (``gna.reflect_index``)."""
    period = tl.maximum(2 * (n - 1), 1)
    r = i % period
    r = tl.where(r < 0, r + period, r)
    r = tl.where(r > n - 1, period - r, r)
    return tl.where(n == 1, 0, r)


@triton.jit
def _draw(seed, sid, qy, qx, gamma, disk, MODE: tl.constexpr):
    """Unbounded position around (qy, qx): Gaussian (MODE 0) or uniform in a disk."""
    if MODE == 0:
        n1, n2, _, _ = tl.randn4x(seed, sid)
        return qy + _round_half_even(n1 * gamma), qx + _round_half_even(n2 * gamma)
    else:
        u1, u2, _, _ = tl.rand4x(seed, sid)
        r = disk * gamma * tl.sqrt(u1)
        t = 6.283185307179586 * u2
        return qy + _round_half_even(r * tl.sin(t)), qx + _round_half_even(r * tl.cos(t))


@triton.jit
def _position(pos_ptr, seed, qi, qy, qx, H, W, gamma, disk, p, f, g, qmask,
              P: tl.constexpr, M: tl.constexpr, G: tl.constexpr, MODE: tl.constexpr,
              BORDER: tl.constexpr, ROUNDS: tl.constexpr, WINDOW: tl.constexpr):
    """Flat position within the key frame of sample g of pass p, frame f: ``(BLOCK_Q,)``."""
    sample = ((qi.to(tl.int64) * P + p) * M + f) * G + g
    if MODE == 4:
        pos = tl.load(pos_ptr + sample, mask=qmask, other=0)
    elif MODE == 2:
        u1, u2, _, _ = tl.rand4x(seed, sample)
        yy = tl.minimum((u1 * H).to(tl.int32), H - 1)
        xx = tl.minimum((u2 * W).to(tl.int32), W - 1)
        pos = yy * W + xx
    else:
        if MODE == 3:
            yy = qy + (g // WINDOW - WINDOW // 2)
            xx = qx + (g % WINDOW - WINDOW // 2)
        else:
            sid = sample * (ROUNDS + 1)
            yy, xx = _draw(seed, sid, qy, qx, gamma, disk, MODE)
            for r in tl.static_range(1, ROUNDS + 1):
                off = (yy < 0) | (yy >= H) | (xx < 0) | (xx >= W)
                ry, rx = _draw(seed, sid + r, qy, qx, gamma, disk, MODE)
                yy = tl.where(off, ry, yy)
                xx = tl.where(off, rx, xx)
        if BORDER == 0:
            pos = tl.minimum(tl.maximum(yy, 0), H - 1) * W + tl.minimum(tl.maximum(xx, 0), W - 1)
        else:
            pos = _reflect(yy, H) * W + _reflect(xx, W)
    return pos


@triton.jit
def _queries(NQ, HW, W, C, BLOCK_Q: tl.constexpr, BLOCK_C: tl.constexpr):
    """This program's query block: indices, masks, own-row offsets, batch and (y, x)."""
    qi = tl.program_id(0) * BLOCK_Q + tl.arange(0, BLOCK_Q)
    qmask = qi < NQ
    cs = tl.arange(0, BLOCK_C)
    tile = qmask[:, None] & (cs < C)[None, :]
    own = qi.to(tl.int64)[:, None] * C + cs[None, :]
    return qi, qmask, cs, tile, own, qi // HW, (qi % HW) // W, (qi % HW) % W


@triton.jit
def _sample(k_ptr, v_ptr, pos_ptr, seed, qi, qy, qx, b, H, W, HW, C, cs, tile, gamma,
            disk, p, f, g, qmask, P: tl.constexpr, M: tl.constexpr, G: tl.constexpr,
            MODE: tl.constexpr, BORDER: tl.constexpr, ROUNDS: tl.constexpr,
            WINDOW: tl.constexpr):
    """Sample g of pass p in key frame f: (row offsets, key rows, value rows) in fp32."""
    pos = _position(pos_ptr, seed, qi, qy, qx, H, W, gamma, disk, p, f, g, qmask,
                    P, M, G, MODE, BORDER, ROUNDS, WINDOW)
    rows = ((b * M + f).to(tl.int64) * HW + pos)[:, None] * C + cs[None, :]
    kk = tl.load(k_ptr + rows, mask=tile, other=0.0).to(tl.float32)
    vv = tl.load(v_ptr + rows, mask=tile, other=0.0).to(tl.float32)
    return rows, kk, vv


@triton.jit
def _reference(k_ptr, v_ptr, pos_ptr, seed, qi, qy, qx, b, H, W, HW, C, cs, tile, gamma,
               disk, p, qmask, P: tl.constexpr, M: tl.constexpr, G: tl.constexpr,
               MODE: tl.constexpr, BORDER: tl.constexpr, ROUNDS: tl.constexpr,
               WINDOW: tl.constexpr):
    """The key and value rows of pass p's first sample: every logit and value of the
    pass is taken relative to them. Softmax is shift-invariant and its weights sum to 1,
    so the result is the same; but the large component that unprojected features share
    (Q = K = V = F) cancels before the fp32 dot products instead of after them."""
    _, kref, vref = _sample(k_ptr, v_ptr, pos_ptr, seed, qi, qy, qx, b, H, W, HW, C, cs,
                            tile, gamma, disk, p, 0, 0, qmask, P, M, G, MODE, BORDER,
                            ROUNDS, WINDOW)
    return kref, vref


@triton.jit
def _fwd_kernel(q_ptr, k_ptr, v_ptr, pos_ptr, gam_ptr, out_ptr, mx_ptr, den_ptr,
                seed, NQ, HW, H, W, C, scale, disk,
                M: tl.constexpr, G: tl.constexpr, P: tl.constexpr, NF: tl.constexpr,
                MODE: tl.constexpr, BORDER: tl.constexpr, ROUNDS: tl.constexpr,
                WINDOW: tl.constexpr, BLOCK_Q: tl.constexpr, BLOCK_C: tl.constexpr):
    qi, qmask, cs, tile, own, b, qy, qx = _queries(NQ, HW, W, C, BLOCK_Q, BLOCK_C)
    qv = tl.load(q_ptr + own, mask=tile, other=0.0).to(tl.float32)
    total = tl.zeros((BLOCK_Q, BLOCK_C), tl.float32)
    for p in range(P):
        gamma = tl.load(gam_ptr + p % NF)
        kref, vref = _reference(k_ptr, v_ptr, pos_ptr, seed, qi, qy, qx, b, H, W, HW, C,
                                cs, tile, gamma, disk, p, qmask, P, M, G, MODE, BORDER,
                                ROUNDS, WINDOW)
        mx = tl.full((BLOCK_Q,), float("-inf"), tl.float32)
        den = tl.zeros((BLOCK_Q,), tl.float32)
        acc = tl.zeros((BLOCK_Q, BLOCK_C), tl.float32)
        for f in range(M):
            for g in range(G):
                rows, kk, vv = _sample(k_ptr, v_ptr, pos_ptr, seed, qi, qy, qx, b, H, W, HW,
                                       C, cs, tile, gamma, disk, p, f, g, qmask, P, M, G,
                                       MODE, BORDER, ROUNDS, WINDOW)
                s = tl.sum(qv * (kk - kref), 1) * scale
                new = tl.maximum(mx, s)
                alpha = tl.exp(mx - new)
                w = tl.exp(s - new)
                acc = acc * alpha[:, None] + w[:, None] * (vv - vref)
                den = den * alpha + w
                mx = new
        total += vref + acc / den[:, None]
        # The softmax's max and denominator, kept apart: mx + log(den) in fp32 loses
        # log(den) once |mx| is large (ulp(1e4) ~ 1e-3), and the backward's weights
        # exp(s - lse) stop summing to 1.
        tl.store(mx_ptr + qi.to(tl.int64) * P + p, mx, mask=qmask)
        tl.store(den_ptr + qi.to(tl.int64) * P + p, den, mask=qmask)
    out = total / P
    tl.store(out_ptr + own, out.to(out_ptr.dtype.element_ty), mask=tile)


@triton.jit
def _bwd_kernel(q_ptr, k_ptr, v_ptr, pos_ptr, gam_ptr, do_ptr, mx_ptr, den_ptr,
                dq_ptr, dk_ptr, dv_ptr,
                seed, NQ, HW, H, W, C, scale, disk,
                M: tl.constexpr, G: tl.constexpr, P: tl.constexpr, NF: tl.constexpr,
                MODE: tl.constexpr, BORDER: tl.constexpr, ROUNDS: tl.constexpr,
                WINDOW: tl.constexpr, BLOCK_Q: tl.constexpr, BLOCK_C: tl.constexpr):
    qi, qmask, cs, tile, own, b, qy, qx = _queries(NQ, HW, W, C, BLOCK_Q, BLOCK_C)
    qv = tl.load(q_ptr + own, mask=tile, other=0.0).to(tl.float32)
    # d(out)/d(out_p) = 1/P: every pass sees the same upstream gradient over P.
    dout = tl.load(do_ptr + own, mask=tile, other=0.0).to(tl.float32) / P
    dq = tl.zeros((BLOCK_Q, BLOCK_C), tl.float32)
    for p in range(P):
        gamma = tl.load(gam_ptr + p % NF)
        kref, vref = _reference(k_ptr, v_ptr, pos_ptr, seed, qi, qy, qx, b, H, W, HW, C,
                                cs, tile, gamma, disk, p, qmask, P, M, G, MODE, BORDER,
                                ROUNDS, WINDOW)
        mx = tl.load(mx_ptr + qi.to(tl.int64) * P + p, mask=qmask, other=0.0)
        inv = 1.0 / tl.load(den_ptr + qi.to(tl.int64) * P + p, mask=qmask, other=1.0)
        # D = Σ_s a_s dO·(v_s - v_ref): the softmax backward's row term, centred (the
        # weights sum to 1, so the reference row drops out of g_s - D exactly).
        dsum = tl.zeros((BLOCK_Q,), tl.float32)
        for f in range(M):
            for g in range(G):
                rows, kk, vv = _sample(k_ptr, v_ptr, pos_ptr, seed, qi, qy, qx, b, H, W, HW,
                                       C, cs, tile, gamma, disk, p, f, g, qmask, P, M, G,
                                       MODE, BORDER, ROUNDS, WINDOW)
                a = tl.exp(tl.sum(qv * (kk - kref), 1) * scale - mx) * inv
                dsum += a * tl.sum(dout * (vv - vref), 1)
        for f in range(M):
            for g in range(G):
                rows, kk, vv = _sample(k_ptr, v_ptr, pos_ptr, seed, qi, qy, qx, b, H, W, HW,
                                       C, cs, tile, gamma, disk, p, f, g, qmask, P, M, G,
                                       MODE, BORDER, ROUNDS, WINDOW)
                a = tl.exp(tl.sum(qv * (kk - kref), 1) * scale - mx) * inv
                ds = a * (tl.sum(dout * (vv - vref), 1) - dsum) * scale
                dq += ds[:, None] * (kk - kref)  # Σ_s ds_s = 0: the same dq, centred
                tl.atomic_add(dk_ptr + rows, ds[:, None] * qv, mask=tile)
                tl.atomic_add(dv_ptr + rows, a[:, None] * dout, mask=tile)
    tl.store(dq_ptr + own, dq.to(dq_ptr.dtype.element_ty), mask=tile)


def _launch_args(q: torch.Tensor, k: torch.Tensor, HW: int, H: int, W: int,
                 spec: KernelSampling, positions: torch.Tensor | None, seed: int,
                 config: KernelConfig):
    NQ, C = q.shape
    M = k.shape[0] // NQ
    block_c = triton.next_power_of_2(C)
    # Keep a program's fp32 tiles (query, accumulators, one key and value row per
    # query) near 8K values; wider C gets fewer queries per program.
    block_q = config.block_q or max(1, min(32, 8192 // block_c))
    gam = torch.tensor(spec.gammas, dtype=torch.float32, device=q.device)
    pos = (positions.to(device=q.device, dtype=torch.int32).contiguous()
           if positions is not None else gam)  # an unused pointer when drawing
    samples = spec.window ** 2 if spec.sampler == "local" else spec.samples
    rounds = (_RESAMPLE_ROUNDS if spec.border == "resample" and spec.sampler in FOCUS_SAMPLERS
              else 0)
    border = "reflect" if spec.border == "resample" else spec.border
    grid = (triton.cdiv(NQ, block_q),)
    scalars = (seed, NQ, HW, H, W, C, 1.0 / math.sqrt(C), float(spec.disk_scale))
    consts = dict(M=M, G=samples, P=spec.passes, NF=len(spec.gammas),
                  MODE=_MODES[spec.sampler], BORDER=_BORDERS[border], ROUNDS=rounds,
                  WINDOW=spec.window, BLOCK_Q=block_q, BLOCK_C=block_c)
    for name in ("num_warps", "num_stages"):
        if getattr(config, name) is not None:
            consts[name] = getattr(config, name)
    return grid, gam, pos, scalars, consts


class _GNAFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, q, k, v, H, W, spec, positions, seed, config):
        q, k, v = q.contiguous(), k.contiguous(), v.contiguous()
        grid, gam, pos, scalars, consts = _launch_args(q, k, H * W, H, W, spec, positions,
                                                       seed, config)
        out = torch.empty_like(v[: q.shape[0]])
        mx = torch.empty((q.shape[0], spec.passes), dtype=torch.float32, device=q.device)
        den = torch.empty_like(mx)
        _fwd_kernel[grid](q, k, v, pos, gam, out, mx, den, *scalars, **consts)
        ctx.save_for_backward(q, k, v, mx, den, pos, gam)
        ctx.launch = (grid, scalars, consts)
        return out

    @staticmethod
    def backward(ctx, grad_out):
        q, k, v, mx, den, pos, gam = ctx.saved_tensors
        grid, scalars, consts = ctx.launch
        dq = torch.empty_like(q)
        dk = torch.zeros(k.shape, dtype=torch.float32, device=k.device)
        dv = torch.zeros(v.shape, dtype=torch.float32, device=v.device)
        _bwd_kernel[grid](q, k, v, pos, gam, grad_out.contiguous(), mx, den, dq, dk, dv,
                          *scalars, **consts)
        return dq, dk.to(k.dtype), dv.to(v.dtype), None, None, None, None, None, None


def gna_triton(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, H: int, W: int,
               spec: KernelSampling, *, seed: int = 0,
               positions: torch.Tensor | None = None,
               config: KernelConfig | None = None) -> torch.Tensor:
    """Fused GNA over channels-last rows (one head, ``d = C``).

    Args:
        q: Queries ``(B·H·W, C)``, row ``b·H·W + y·W + x``.
        k: Keys ``(B·m·H·W, C)``, row ``(b·m + f)·H·W + y·W + x``; v: values, same shape.
        H, W: The map size.
        spec: The sampling law.
        seed: Philox seed (a fresh one per training forward; fixed in evaluation).
        positions: ``given`` mode only: int ``(B·H·W, passes, m, samples)`` positions
            within the key frame (``y·W + x``, already on the map).
        config: Launch configuration (default :class:`KernelConfig`'s; see
            :data:`AUTOTUNE_CONFIGS`).

    Returns:
        ``(B·H·W, C)`` in ``v``'s dtype: the average of the passes' attention outputs.
    """
    return _GNAFunction.apply(q, k, v, H, W, spec, positions, int(seed),
                              config or KernelConfig())
