"""Benchmark: reading 1080p clips (m = 3, random crop 768x1024) through a DataLoader.

Reports clips/s with 2 workers, and (single process) the share of the per-clip time
spent decoding JPEGs, with and without the decoded-frame cache.
Run: ``python benchmarks/data_speed.py``
"""

from __future__ import annotations

import os
import tempfile
import time
import warnings
from pathlib import Path

import cv2
from torch.utils.data import DataLoader

from vscrowd import synthesize
from vscrowd.data import VSCrowdClips, collate, train_transform


def root() -> Path:
    r = Path(tempfile.gettempdir()) / "vscrowd-bench-1080p"
    if not (r / "synth.json").exists():
        synthesize(r, videos=4, frames=10, size=(1920, 1080), seed=0, train_fraction=1.0,
                   overwrite=True)
    return r


def main() -> None:
    warnings.simplefilter("ignore")
    r = root()
    tf = train_transform(crop=(768, 1024))
    results = {}
    for cache in (0, 16):
        ds = VSCrowdClips(r, split="train", clip_length=3, transform=tf, seed=0,
                          cache_frames=cache)
        dl = DataLoader(ds, batch_size=1, num_workers=2, collate_fn=collate)
        it = iter(dl)
        next(it)  # start the workers
        t = time.perf_counter()
        n = 1 + sum(1 for _ in it)
        results[cache] = (n - 1) / (time.perf_counter() - t)
    ds = VSCrowdClips(r, split="train", clip_length=3, transform=tf, seed=0, cache_frames=0)
    t = time.perf_counter()
    for i in range(len(ds)):
        ds[i]
    per_clip = (time.perf_counter() - t) / len(ds)
    paths = [ds.dataset.image_path(*ds.objective(i)) for i in range(len(ds))]
    t = time.perf_counter()
    for p in paths:
        cv2.imread(str(p))
    decode = (time.perf_counter() - t) / len(paths)
    print(f"1080p clips, m = 3, crop 768x1024, {os.cpu_count()} CPUs, {len(ds)} clips")
    print(f"DataLoader, 2 workers, no frame cache:  {results[0]:.1f} clips/s")
    print(f"DataLoader, 2 workers, 16-frame cache:  {results[16]:.1f} clips/s")
    print(f"single process: {1000 * per_clip:.0f} ms per clip, of which JPEG decode "
          f"{3 * 1000 * decode:.0f} ms (3 x {1000 * decode:.1f} ms) = "
          f"{100 * 3 * decode / per_clip:.0f}%")


if __name__ == "__main__":
    main()
