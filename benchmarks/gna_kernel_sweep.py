"""Benchmark: the Triton GNA kernel's launch configurations (queries per program, warps,
stages) on a GPU, at the paper's evaluation size.

For every :data:`vscrowd.models.gna_triton.AUTOTUNE_CONFIGS` entry it prints the time of
one inference call of a one-key-frame module (3 focuses x T = 3 draws) and of the
temporal module (m = 3 key frames), and of a training forward + backward (3 focuses,
T = 1, m = 3), with ratios against the default configuration measured in the same run,
then the fastest configuration per case. The output is identical for every
configuration (tests/models/test_gna_chunks.py), so only time is compared.

CUDA only (the CPU interpreter is for tests, not for timing).
Run: ``python benchmarks/gna_kernel_sweep.py [--size 135x240] [--channels 512]``
"""

from __future__ import annotations

import argparse
import time

import torch


def _time(fn, reps: int) -> float:
    fn()
    torch.cuda.synchronize()
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    torch.cuda.synchronize()
    return (time.perf_counter() - t0) / reps * 1e3


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="135x240", help="feature map HxW (1080p / 8)")
    ap.add_argument("--channels", type=int, default=512)
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("gna_kernel_sweep needs a CUDA GPU (nothing is measured on CPU)")
    from vscrowd.models.gna_triton import (
        AUTOTUNE_CONFIGS,
        KernelConfig,
        KernelSampling,
        gna_triton,
    )

    H, W = (int(v) for v in a.size.split("x"))
    C, dev = a.channels, "cuda"
    q = torch.randn(H * W, C, device=dev, dtype=torch.bfloat16).relu()
    k1 = torch.randn(H * W, C, device=dev, dtype=torch.bfloat16).relu()
    k3 = torch.randn(3 * H * W, C, device=dev, dtype=torch.bfloat16).relu()
    ev = KernelSampling("gaussian", (3.0, 5.0, 10.0), 32, draws=3)
    tr = KernelSampling("gaussian", (3.0, 5.0, 10.0), 32, draws=1)

    def cases(cfg):
        def train():
            qq, kk = q.detach().requires_grad_(), k3.detach().requires_grad_()
            gna_triton(qq, kk, kk, H, W, tr, seed=1, config=cfg).float().sum().backward()
        with torch.no_grad():
            one = _time(lambda: gna_triton(q, k1, k1, H, W, ev, config=cfg), a.reps)
            three = _time(lambda: gna_triton(q, k3, k3, H, W, ev, config=cfg), a.reps)
        return one, three, _time(train, a.reps)

    print(f"GNA kernel sweep: {H}x{W} x {C}, bf16, N = 32, gammas 3/5/10, "
          f"{torch.cuda.get_device_name()}")
    base = cases(KernelConfig())
    names = ("scene/objective ms", "temporal ms", "train fwd+bwd ms")
    print("config | " + " | ".join(names) + " | ratios vs default")
    print(f"default {KernelConfig()} | " + " | ".join(f"{t:.2f}" for t in base))
    rows = []
    for cfg in AUTOTUNE_CONFIGS:
        try:
            t = cases(cfg)
        except Exception as exc:  # a config the GPU cannot launch (registers, smem)
            print(f"{cfg} | failed: {type(exc).__name__}: {str(exc).splitlines()[0]}")
            continue
        rows.append((cfg, t))
        ratios = " ".join(f"{b / x:.2f}x" for b, x in zip(base, t))
        print(f"{cfg} | " + " | ".join(f"{x:.2f}" for x in t) + f" | {ratios}")
    for i, name in enumerate(names):
        cfg, t = min(rows, key=lambda r: r[1][i])
        print(f"fastest for {name}: {cfg} at {t[i]:.2f} (default {base[i]:.2f})")


if __name__ == "__main__":
    main()
