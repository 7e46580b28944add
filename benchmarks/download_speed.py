"""Benchmark: assembling a downloaded frame archive, and the SenseCrowd name map.

* Assembly is I/O-bound: a tar of synthetic frame files (random bytes named ``.jpg``,
  ~200 KB each, ``--gb`` GB in all, default 2) is assembled with
  :func:`vscrowd.acquire.assemble.assemble` and extracted with ``tar -xf`` into the same disk;
  the ratio is printed (target: at most 1.5x ``tar -xf``).
* The name map over a VSCrowd-sized synthetic pair (634 videos, annotations only;
  target: at most 10 s).

Run: ``python benchmarks/download_speed.py [--gb 2] [--videos 634]``
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import tarfile
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

from vscrowd import synthesize
from vscrowd.acquire.assemble import assemble
from vscrowd.datasets.namemap import map_names
from vscrowd.synth.sensecrowd import synthesize_sensecrowd


def _archive(work: Path, gb: float) -> Path:
    src = work / "src"
    src.mkdir()
    rng = np.random.default_rng(0)
    blob = rng.integers(0, 256, 200_000, dtype=np.uint8).tobytes()
    n = int(gb * 1e9 // len(blob))
    with tarfile.open(src / "frames.tar", "w") as tf:
        for i in range(n):
            name = f"VSCrowd/videos/train_{i // 100 + 1:03d}/{i % 100 + 1:04d}.jpg"
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            data = bytes([i % 256]) + blob[1:]
            tf.addfile(info, io.BytesIO(data))
    return src


def bench_assembly(gb: float) -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("VSCROWD_BENCH_DIR")) as tmp:
        work = Path(tmp)
        src = _archive(work, gb)
        size = (src / "frames.tar").stat().st_size
        subprocess.run(["sync"], check=False)
        t0 = time.perf_counter()
        (work / "tar").mkdir()
        subprocess.run(["tar", "-xf", str(src / "frames.tar"), "-C", str(work / "tar")],
                       check=True)
        t_tar = time.perf_counter() - t0
        shutil.rmtree(work / "tar")
        t0 = time.perf_counter()
        assemble(src, work / "root", parts="frames")
        t_asm = time.perf_counter() - t0
        print(f"archive {size / 1e9:.2f} GB: tar -xf {t_tar:.2f} s, vscrowd assemble "
              f"{t_asm:.2f} s, ratio {t_asm / t_tar:.2f}x (target <= 1.5x)")


def bench_name_map(videos: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        args = {"videos": videos, "frames": 99, "size": (1920, 1080), "seed": 0,
                "density": 0.197}
        v = synthesize(Path(tmp) / "v", images=False, **args)
        s = synthesize_sensecrowd(Path(tmp) / "s", **args)
        t0 = time.perf_counter()
        result = map_names(v, s)
        t = time.perf_counter() - t0
        print(f"name map over {videos} videos: {t:.2f} s (target <= 10 s), "
              f"{len(result.rows)} matched, {len(result.unmatched)} unmatched")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--gb", type=float, default=2.0)
    ap.add_argument("--videos", type=int, default=634)
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    bench_assembly(args.gb)
    bench_name_map(args.videos)


if __name__ == "__main__":
    main()
