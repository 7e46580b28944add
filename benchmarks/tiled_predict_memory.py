"""Benchmark: peak memory and time of one giant frame through S-GNANet, whole and in
tiles (vscrowd/models/tiling.py; issue #27, "per-image memory bounded").

Each mode runs in a fresh Python process (peak resident memory VmHWM, imports included)
on the same random frame: the model (random initialisation, eval mode, float32, no
gradients) gives the logits of a ``--size HxW`` frame whole (``tile=None``) and in tiles
of ``--tile`` px; the parent compares the two probability maps.

Run: ``python benchmarks/tiled_predict_memory.py [--size 3000x4000] [--width 1.0]
[--tile 2048] [--model s-gnanet]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

_CHILD = """
import sys, time, warnings
def peak():
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
import torch
from vscrowd.models import build_model
from vscrowd.models.tiling import tiled_forward
h, w, width, tile, model_name, out = sys.argv[1:]
torch.manual_seed(0)
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    model = build_model(model_name, width=float(width)).eval()
clip = torch.randn(1, 1, 3, int(h), int(w), generator=torch.Generator().manual_seed(1))
base = peak()
t = time.perf_counter()
with torch.no_grad():
    prob = torch.sigmoid(tiled_forward(model, clip, None if tile == "0" else int(tile)))
secs = time.perf_counter() - t
import numpy as np
np.save(out, prob[0, 0].numpy())
print(base, peak(), secs)
"""


def run(h: int, w: int, width: float, tile: int, model: str, out: Path) -> tuple:
    res = subprocess.run([sys.executable, "-c", _CHILD, str(h), str(w), str(width),
                          str(tile), model, str(out)], check=True, capture_output=True,
                         text=True).stdout.split()
    return float(res[0]), float(res[1]), float(res[2])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="3000x4000", help="frame HxW (multiples of 8)")
    ap.add_argument("--width", type=float, default=1.0, help="channel multiplier")
    ap.add_argument("--tile", type=int, default=2048)
    ap.add_argument("--model", default="s-gnanet")
    args = ap.parse_args()
    h, w = (int(v) for v in args.size.split("x"))
    print(f"{args.model} width {args.width}, frame {h}x{w} ({h * w / 1e6:.1f} MP), float32, "
          "CPU, fresh process per mode")
    print(f"{'mode':<12}{'peak MB':>9}{'imports+model MB':>18}{'seconds':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        maps = {}
        for name, tile in (("whole", 0), (f"tiles {args.tile}", args.tile)):
            out = Path(tmp) / f"{tile}.npy"
            base, peak, secs = run(h, w, args.width, tile, args.model, out)
            maps[name] = np.load(out)
            print(f"{name:<12}{peak:>9.0f}{base:>18.0f}{secs:>9.1f}")
        a, b = maps.values()
        print(f"probability maps: max |difference| {np.abs(a - b).max():.2e}, "
              f"mean {np.abs(a - b).mean():.2e}")


if __name__ == "__main__":
    main()
