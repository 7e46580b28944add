"""Benchmark: GNANet inference speed, peak memory, and the GNA op vs a naive gather.

On CUDA (bf16 autocast, fp32 softmax) it runs at full size: 1920x1080, m = 3, T = 3;
on CPU at a reduced size (default 256x448, width 1.0) so it finishes in minutes.
Inference reuses per-frame backbone features across overlapping clips, as
``vscrowd predict`` does: each objective frame costs one backbone pass + the heads.

Run: ``python benchmarks/gnanet_speed.py [--size 1080x1920] [--device cuda]``
"""

from __future__ import annotations

import argparse
import resource
import time
import warnings

import torch

from vscrowd.models import GaussianNeighborhoodAttention, build_model


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def peak_mb(device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@torch.no_grad()
def inference_fps(name: str, h: int, w: int, device, frames: int, width: float) -> tuple:
    model = build_model(name, width=width).to(device).eval()
    m = model.config.clip_length
    if device.type == "cuda":
        model = model.to(memory_format=torch.channels_last)
        torch.cuda.reset_peak_memory_stats()
    ctx = (torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda"
           else torch.autocast("cpu", enabled=False))
    video = torch.randn(frames + m, 3, h, w, device=device)
    with ctx:
        feats = model.extract(video[:m])  # warm-up
        model.forward_features(feats[None])
        sync(device)
        t = time.perf_counter()
        window = list(model.extract(video[:m]))
        for i in range(frames):
            window = window[1:] + [model.extract(video[m + i:m + i + 1])[0]]
            model.forward_features(torch.stack(window)[None])
        sync(device)
    dt = time.perf_counter() - t
    return frames / dt, peak_mb(device)


def gna_timing(h: int, w: int, c: int, device, naive: bool) -> float:
    gna = GaussianNeighborhoodAttention(c, chunk_size=10**9 if naive else 1024,
                                        use_checkpoint=not naive).to(device)
    q = torch.randn(1, c, h, w, device=device, requires_grad=True)
    kv = torch.randn(1, 3, c, h, w, device=device, requires_grad=True)
    ctx = (torch.autocast("cuda", dtype=torch.bfloat16) if device.type == "cuda"
           else torch.autocast("cpu", enabled=False))
    with ctx:
        gna(q, kv).float().sum().backward()  # warm-up
    sync(device)
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
    t = time.perf_counter()
    with ctx:
        gna(q, kv).float().sum().backward()
    sync(device)
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--size", default=None, help="HxW (default 1080x1920 on CUDA, "
                    "256x448 on CPU)")
    ap.add_argument("--frames", type=int, default=None)
    ap.add_argument("--width", type=float, default=1.0)
    args = ap.parse_args()
    warnings.simplefilter("ignore", UserWarning)
    device = torch.device(args.device)
    size = args.size or ("1080x1920" if device.type == "cuda" else "256x448")
    h, w = (int(v) for v in size.lower().split("x"))
    h8, w8 = -(-h // 8) * 8, -(-w // 8) * 8
    frames = args.frames or (30 if device.type == "cuda" else 3)
    name = torch.cuda.get_device_name() if device.type == "cuda" else "CPU"
    print(f"device: {name}; input {h8}x{w8} (padded), width {args.width}, torch "
          f"{torch.__version__}; {'bf16 autocast' if device.type == 'cuda' else 'fp32'}")
    # On CPU the only peak we can read is the process's max RSS (monotone), so the
    # per-model column is only meaningful on CUDA.
    print(f"{'model':<12}{'FPS':>10}{'peak MB':>10}")
    for model in ("gnanet", "s-gnanet", "baseline"):
        fps, mb = inference_fps(model, h8, w8, device, frames, args.width)
        shown = f"{mb:>10.0f}" if device.type == "cuda" else f"{'n/a':>10}"
        print(f"{model:<12}{fps:>10.2f}{shown}")
    if device.type != "cuda":
        print(f"(process max RSS after inference: {peak_mb(device):.0f} MB)")
    c = max(4, int(512 * args.width))
    fh, fw = h8 // 8, w8 // 8
    print(f"\nGNA op, forward+backward, {fh}x{fw} map, C={c}, m=3, N=32, 3 focuses:")
    t_chunk = gna_timing(fh, fw, c, device, naive=False)
    mb_chunk = peak_mb(device)
    label = "peak" if device.type == "cuda" else "process max RSS"
    print(f"  chunked + checkpointed: {t_chunk:.3f} s, {label} {mb_chunk:.0f} MB")
    try:
        t_naive = gna_timing(fh, fw, c, device, naive=True)
        print(f"  naive gather (one chunk, stored): {t_naive:.3f} s, {label} "
              f"{peak_mb(device):.0f} MB")
    except (torch.cuda.OutOfMemoryError, RuntimeError) as exc:
        print(f"  naive gather: failed ({type(exc).__name__}: out of memory)")


if __name__ == "__main__":
    main()
