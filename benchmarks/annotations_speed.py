"""Benchmark: parse a full-size VSCrowd annotation set, write and load the cache.

Writes (once, cached under $VSCROWD_BENCH_DIR or /tmp) a synthetic annotation set the
size of VSCrowd: 634 files, ~62.8k frames, ~2.35M heads, formatted like the real files
("20.44 305.76 ..."). Then times, in one process:

* the naive baseline: a per-line Python ``split()`` loop with ``float()`` per token;
* vscrowd's cold parse of all files (``VSCrowd(root, cache=False)``);
* the Parquet cache write and cache load.

Targets (2-core machine): cold parse <= 10 s, cache load <= 1 s.
Run: ``python benchmarks/annotations_speed.py``
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

from vscrowd import VSCrowd, synthesize
from vscrowd.datasets.cache import cache_key, load_cached, store_cached

VIDEOS, FRAMES, DENSITY = 634, 99, 0.197


def dataset_root() -> Path:
    base = Path(os.environ.get("VSCROWD_BENCH_DIR", tempfile.gettempdir()))
    root = base / f"vscrowd-bench-ann-{VIDEOS}x{FRAMES}-d{DENSITY}"
    if not (root / "synth.json").exists():
        print(f"generating the full-size annotation set in {root} (one-time) ...",
              file=sys.stderr)
        synthesize(root, videos=VIDEOS, frames=FRAMES, size=(1920, 1080), seed=0,
                   train_fraction=497 / 634, density=DENSITY, images=False, overwrite=True)
    return root


def naive_parse(files: list[Path]) -> pd.DataFrame:
    """What a straightforward loader does: split every line, float() every token."""
    rows = []
    for f in files:
        video = f.stem
        with open(f) as fh:
            for idx, line in enumerate(fh):
                tok = line.split()
                if not tok:
                    continue
                fid = tok[0]
                for k in range(1, len(tok), 7):
                    rows.append((video, fid, idx, int(tok[k]), float(tok[k + 1]),
                                 float(tok[k + 2]), float(tok[k + 3]), float(tok[k + 4]),
                                 float(tok[k + 5]), float(tok[k + 6])))
    return pd.DataFrame(rows, columns=["video", "frame", "frame_index", "head_id", "x1",
                                       "y1", "x2", "y2", "x", "y"])


def timed(fn, repeat: int = 1):
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    root = dataset_root()
    # Same order as the dataset: train videos, then test.
    files = sorted((root / "annotations").glob("*.txt"),
                   key=lambda p: (not p.stem.startswith("train"), p.stem))
    size_mb = sum(f.stat().st_size for f in files) / 1e6
    warnings.simplefilter("ignore")  # no frame folders in this annotation-only set
    t_naive, naive = timed(lambda: naive_parse(files))
    t_cold, ds = timed(lambda: VSCrowd(root, cache=False), repeat=2)
    assert len(naive) == len(ds.heads)
    np.testing.assert_array_equal(naive["x"].to_numpy(), ds.heads["x"].to_numpy())
    cdir = Path(tempfile.mkdtemp(prefix="vscrowd-cache-"))
    key = cache_key(files, strict=False)
    t_write, _ = timed(lambda: store_cached(cdir, key, ds.annotations, []))
    t_load, hit = timed(lambda: load_cached(cdir, key), repeat=3)
    assert hit is not None and hit[0].heads.equals(ds.heads)
    shutil.rmtree(cdir)

    print(f"annotation set: {len(files)} files, {len(ds.frames):,} frames, "
          f"{len(ds.heads):,} heads, {size_mb:.0f} MB of text")
    print(f"{'step':<34}{'seconds':>10}{'target':>10}")
    print(f"{'naive per-line split loop':<34}{t_naive:>10.2f}{'':>10}")
    print(f"{'vscrowd cold parse (all files)':<34}{t_cold:>10.2f}{'<= 10':>10}")
    print(f"{'cache write (Parquet)':<34}{t_write:>10.2f}{'':>10}")
    print(f"{'cache load (Parquet)':<34}{t_load:>10.2f}{'<= 1':>10}")
    print(f"cold parse is {t_naive / t_cold:.1f}x faster than the naive loop; "
          f"cache load is {t_naive / t_load:.0f}x faster")


if __name__ == "__main__":
    main()
