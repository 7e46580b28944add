"""Benchmark: peak memory of reading a prediction file, per format (issue 31, item 9).

Writes one prediction set (~20 points per frame, scores, like a detector's output) as
JSON, JSON Lines and a folder of per-video TXT files of about ``--mb`` MB each, then reads
each with ``vscrowd.eval.read_predictions`` in a fresh Python process and prints that
process's peak resident memory (``resource.getrusage(...).ru_maxrss``, imports
included; VmHWM on Linux) against the bound: 3x the file's size + 300 MB.

Run: ``python benchmarks/prediction_memory.py [--mb 100]``
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

# The child's own peak: VmHWM of /proc/self/status starts afresh at exec, whereas
# ru_maxrss keeps the peak of the process it was forked from (this script, which held
# the generated records).
_CHILD = """
import resource, sys, time
def peak():
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
from vscrowd.eval import read_predictions
base = peak()
t = time.perf_counter()
p = read_predictions(sys.argv[1])
print(len(p.frames), len(p), base, peak(), time.perf_counter() - t)
"""


def _write(folder: Path, mb: float) -> dict[str, Path]:
    from vscrowd.eval import Predictions, write_predictions

    rng = np.random.default_rng(0)
    per_frame, bytes_per_point = 20, 30  # "[1234.5678, 567.891, 0.91234]," in the JSON
    frames = max(1, int(mb * 1e6 / (per_frame * bytes_per_point)))
    videos = max(1, frames // 100)
    recs = [{"video": f"test_{v:03d}", "frame": f"{f:04d}",
             "points": np.round(np.column_stack([rng.uniform(0, 1920, per_frame),
                                                 rng.uniform(0, 1080, per_frame),
                                                 rng.uniform(0, 1, per_frame)]), 4).tolist()}
            for v in range(1, videos + 1) for f in range(1, frames // videos + 1)]
    preds = Predictions.from_records(recs)
    return {fmt: write_predictions(preds, folder / name, format=fmt)
            for fmt, name in (("json", "p.json"), ("jsonl", "p.jsonl"), ("txt", "p_txt"))}


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir()) if path.is_dir() else \
        path.stat().st_size


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=100.0, help="Size of each file (MB).")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        files = _write(Path(tmp), args.mb)
        print(f"{'format':6} {'file MB':>8} {'peak MB':>8} {'imports MB':>10} "
              f"{'bound MB':>9} {'read s':>7}  verdict")
        ok = True
        for fmt, path in files.items():
            out = subprocess.run([sys.executable, "-c", _CHILD, str(path)], check=True,
                                 capture_output=True, text=True).stdout.split()
            base, peak, secs = int(out[2]) / 1024, int(out[3]) / 1024, float(out[4])
            size = _size(path) / 2**20
            bound = 3 * size + 300
            ok &= peak <= bound
            print(f"{fmt:6} {size:8.1f} {peak:8.0f} {base:10.0f} {bound:9.0f} {secs:7.2f}  "
                  f"{'ok' if peak <= bound else 'OVER'} ({peak / size:.2f}x the file)")
        print("all within 3x file size + 300 MB" if ok else "BOUND EXCEEDED")


if __name__ == "__main__":
    main()
