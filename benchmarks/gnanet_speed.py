"""Benchmark: GNANet speed per GNA backend (PyTorch path vs fused Triton kernel).

Prints, for each backend, with ratios against the ``torch`` backend measured in the
same run:

1. inference FPS and peak memory of gnanet, s-gnanet and baseline (per-frame backbone
   features reused across overlapping clips, as ``vscrowd predict`` does);
2. milliseconds per GNA module call at inference (all focuses × T draws), for a
   one-key-frame module (scene / objective) and the temporal module (m key frames);
3. training clips/s: forward + backward + optimiser step on synthetic tensors (the
   loader excluded), batch 16, crop 384×512, m = 3;
4. with ``--e2e``: ``vscrowd train`` clips/s with the real loader on synthetic 1080p
   video, and whether the loader is the bottleneck.

On CUDA (bf16 autocast, fp32 softmax) it runs at full size: 1920×1080, m = 3, T = 3.
On CPU it runs at a reduced size (default 256×448) and only the ``torch`` backend
(Triton on CPU is an interpreter for tests, not a backend to time).

Run: ``python benchmarks/gnanet_speed.py [--device cuda] [--backends torch,triton] [--e2e]``
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
import warnings
from pathlib import Path

import torch

from vscrowd.models import GaussianNeighborhoodAttention, build_model
from vscrowd.models.amp import autocast
from vscrowd.models.gna import triton_available


def sync(device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def reset_peak(device) -> None:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()


def peak_mb(device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@torch.no_grad()
def inference_fps(name: str, backend: str, h: int, w: int, device, frames: int,
                  width: float) -> tuple[float, float]:
    model = build_model(name, width=width, backend=backend).to(device).eval()
    m = model.config.clip_length
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    video = torch.randn(frames + m, 3, h, w, device=device)
    with autocast(device):
        feats = model.extract(video[:m])  # warm-up (and kernel compilation)
        model.forward_features(feats[None])
        sync(device)
        reset_peak(device)
        t = time.perf_counter()
        window = list(model.extract(video[:m]))
        for i in range(frames):
            window = window[1:] + [model.extract(video[m + i:m + i + 1])[0]]
            model.forward_features(torch.stack(window)[None])
        sync(device)
    return frames / (time.perf_counter() - t), peak_mb(device)


@torch.no_grad()
def gna_call_ms(backend: str, h: int, w: int, c: int, m: int, device, repeats: int) -> float:
    """One GNA module call at inference (3 focuses × T = 3 draws × m key frames)."""
    gna = GaussianNeighborhoodAttention(c, backend=backend).to(device).eval()
    q = torch.randn(1, c, h, w, device=device)
    kv = torch.randn(1, m, c, h, w, device=device)
    with autocast(device):
        gna(q, kv)
        sync(device)
        t = time.perf_counter()
        for _ in range(repeats):
            gna(q, kv)
        sync(device)
    return 1000 * (time.perf_counter() - t) / repeats


def train_clips_per_s(backend: str, crop: tuple[int, int], batch: int, width: float,
                      device, steps: int) -> tuple[float, float]:
    """Forward + backward + SGD step of gnanet on synthetic clips (no loader)."""
    from vscrowd.train.steps import weighted_bce

    model = build_model("gnanet", width=width, backend=backend).to(device).train()
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3, momentum=0.9)
    clip = torch.randn(batch, 3, 3, *crop, device=device)
    target = (torch.rand(batch, 1, *crop, device=device) < 0.01).float()

    def step() -> None:
        with autocast(device):
            logits = model(clip)
        loss = weighted_bce(logits, target, 50.0)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    step()  # warm-up
    sync(device)
    reset_peak(device)
    t = time.perf_counter()
    for _ in range(steps):
        step()
    sync(device)
    return steps * batch / (time.perf_counter() - t), peak_mb(device)


def e2e_clips_per_s(backend: str, device, batch: int, width: float, steps: int,
                    workers: int) -> float:
    """``vscrowd train`` on synthetic 1080p video: clips/s over ``steps`` steps after
    one warm-up step (the loader included)."""
    from vscrowd import synthesize
    from vscrowd.train import TrainConfig, train

    times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = synthesize(Path(tmp) / "data", videos=4, frames=batch + 4, size=(1920, 1080),
                          seed=0)
        cfg = TrainConfig().override(**{
            "data.root": str(root), "data.workers": workers, "model.width": width,
            "model.backend": backend, "batch_size": batch, "max_steps": steps + 1,
            "val_every": 0, "device": device.type, "data.val_split": "holdout"})
        train(cfg, Path(tmp) / "run", on_step=lambda *_: times.append(time.perf_counter()))
    return steps * batch / (times[-1] - times[0])


def _ratio(value: float, base: float | None, higher_is_better: bool = True) -> str:
    if base is None or not value or not base:
        return ""
    r = value / base if higher_is_better else base / value
    return f"  ({r:.1f}x torch)"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--backends", default=None, help="comma-separated (default: torch, "
                    "plus triton on CUDA)")
    ap.add_argument("--size", default=None, help="HxW (default 1080x1920 on CUDA, "
                    "256x448 on CPU)")
    ap.add_argument("--frames", type=int, default=None)
    ap.add_argument("--width", type=float, default=1.0)
    ap.add_argument("--train-steps", type=int, default=None)
    ap.add_argument("--e2e", action="store_true", help="also time vscrowd train with the "
                    "real loader on synthetic 1080p video")
    ap.add_argument("--workers", type=int, default=14)
    args = ap.parse_args()
    warnings.simplefilter("ignore", UserWarning)
    device = torch.device(args.device)
    cuda = device.type == "cuda"
    backends = (args.backends.split(",") if args.backends else
                ["torch", "triton"] if cuda and triton_available() else ["torch"])
    h, w = (int(v) for v in (args.size or ("1080x1920" if cuda else "256x448")).split("x"))
    h8, w8 = -(-h // 8) * 8, -(-w // 8) * 8
    frames = args.frames or (30 if cuda else 3)
    name = torch.cuda.get_device_name() if cuda else "CPU"
    print(f"device: {name}; input {h8}x{w8} (padded), width {args.width}, torch "
          f"{torch.__version__}; {'bf16 autocast' if cuda else 'fp32'}; backends "
          f"{', '.join(backends)}")

    print(f"\n1. inference ({frames} frames, m = 3, T = 3)")
    print(f"{'model':<12}{'backend':<9}{'FPS':>10}{'peak MB':>10}")
    base: dict[str, float] = {}
    for model in ("gnanet", "s-gnanet", "baseline"):
        for backend in backends:
            fps, mb = inference_fps(model, backend, h8, w8, device, frames, args.width)
            base.setdefault(model, fps)
            shown = f"{mb:>10.0f}" if cuda else f"{'n/a':>10}"
            print(f"{model:<12}{backend:<9}{fps:>10.2f}{shown}"
                  f"{_ratio(fps, base[model]) if backend != 'torch' else ''}")
    if not cuda:
        print(f"(CPU: only the process max RSS is readable: {peak_mb(device):.0f} MB)")

    c = max(4, int(512 * args.width))
    fh, fw = h8 // 8, w8 // 8
    print(f"\n2. one GNA module call at inference, {fh}x{fw} map, C={c}, N=32, "
          "3 focuses x T=3")
    for m, label in ((1, "scene/objective (m=1)"), (3, "temporal (m=3)")):
        ref = None
        for backend in backends:
            ms = gna_call_ms(backend, fh, fw, c, m, device, 5 if cuda else 1)
            ref = ref or ms
            print(f"  {label:<24}{backend:<9}{ms:>10.1f} ms"
                  f"{_ratio(ms, ref, False) if backend != 'torch' else ''}")

    crop = (384, 512) if cuda else (128, 160)
    batch = 16 if cuda else 2
    steps = args.train_steps or (10 if cuda else 2)
    print(f"\n3. training, synthetic tensors, batch {batch}, crop {crop[0]}x{crop[1]}, m=3")
    ref = None
    for backend in backends:
        rate, mb = train_clips_per_s(backend, crop, batch, args.width, device, steps)
        ref = ref or rate
        shown = f", peak {mb:.0f} MB" if cuda else ""
        print(f"  {backend:<9}{rate:>8.2f} clips/s{shown}"
              f"{_ratio(rate, ref) if backend != 'torch' else ''}")
        if args.e2e:
            e2e = e2e_clips_per_s(backend, device, batch, args.width, steps, args.workers)
            verdict = ("the loader is the bottleneck" if e2e < 0.8 * rate
                       else "the model is the bottleneck")
            print(f"  {backend:<9}{e2e:>8.2f} clips/s end to end (vscrowd train, "
                  f"{args.workers} workers, 1080p synthetic video): {verdict}")


if __name__ == "__main__":
    main()
