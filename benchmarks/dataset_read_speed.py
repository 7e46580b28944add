"""Benchmark: read each registered dataset's annotations from its native format, cold and
from the cache, against a plain-Python reader of the same files (issue #27).

Writes (once, under $VSCROWD_BENCH_DIR or /tmp) a scaled copy of each dataset's synthetic
fixture (``vscrowd synth --flavour NAME``, the same writers with more images or frames
and more heads each), so throughput is not lost in per-call overhead. Then times, in one
process, per dataset:

* the plain-Python reference: ``json.load`` / ``str.split`` + ``float`` / ``loadmat``
  per file, points kept as Python lists (what a straightforward loader does);
* vscrowd cold: ``vscrowd.open(root, cache=False)`` (tables, image sizes, labels);
* vscrowd from the cache: ``vscrowd.open(root)`` once the cache is written;
* vscrowd cold in this process alone (``VSCROWD_WORKERS=1``): FDST and NWPU-Crowd read
  their files in forked worker processes where there are CPUs for it
  (vscrowd._parallel); the column shows what that brings.

Also printed: the files other than images under the root (annotation files, split
lists) and the cold read's time per such file.

Targets: cold >= 1 M heads/s, cache <= 0.2 s.
Run: ``python benchmarks/dataset_read_speed.py [NAME ...]``
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import warnings
from contextlib import contextmanager
from pathlib import Path

from annotations_speed import timed  # the best-of-N timer of the annotation benchmark

from vscrowd._parallel import worker_count
from vscrowd.datasets import cache, cached_read, registry, synth_images, synth_videos

#: Images per split x IMAGES, heads per image x HEADS; video frames x FRAMES (set by
#: --images/--heads/--frames). The defaults give the real datasets' heads per image
#: (NWPU-Crowd ~590 per annotated image, JHU-Crowd++ ~350, FDST ~26 per frame) and
#: hundreds to thousands of images, so per-call overhead weighs as it does on the real
#: data (the targets are stated for whole datasets: "all of NWPU-Crowd's 2.1 M heads
#: in ~2 s").
IMAGES, HEADS, FRAMES = 60, 12, 100
NAMES = ("nwpu", "qnrf", "jhu", "shanghaitech_a", "fdst", "venice", "dronecrowd", "mall",
         "ucsd", "sensecrowd")


@contextmanager
def scaled_plans():
    """The fixture writers' plans, scaled (each module imported the planner by name)."""
    plan_i, plan_v = synth_images.plan_images, synth_videos.plan_videos

    def images(seed, splits, *, heads=(5, 60), **kw):
        many = {s: n * IMAGES if n < 100 else n for s, n in splits.items()}
        return plan_i(seed, many, heads=(heads[0] * HEADS, heads[1] * HEADS), **kw)

    def videos(seed, splits, *, frames=4, heads=(5, 30), **kw):
        # More videos rather than longer ones: a planned person leaves with probability
        # 1/2 per frame, so a long video empties out (FDST: ~30 heads per frame, as
        # published, needs short videos).
        if kw.get("names"):  # named sequences (DroneCrowd): longer ones instead
            return plan_v(seed, splits, frames=frames * FRAMES, heads=(heads[0] * 3,
                                                                        heads[1] * 3), **kw)
        many = {s: n * max(FRAMES // 4, 1) for s, n in splits.items()}
        return plan_v(seed, many, frames=frames * 4, heads=(heads[0] * 2, heads[1] * 2), **kw)

    mods = [registry.dataset_info(n).synth.__module__ for n in NAMES
            if registry.dataset_info(n).synth is not None]
    patched = []
    for name in mods:
        mod = sys.modules[name]
        for attr, new in (("plan_images", images), ("plan_videos", videos)):
            if hasattr(mod, attr):
                patched.append((mod, attr, getattr(mod, attr)))
                setattr(mod, attr, new)
    try:
        yield
    finally:
        for mod, attr, old in patched:
            setattr(mod, attr, old)


def dataset_root(name: str) -> Path:
    base = Path(os.environ.get("VSCROWD_BENCH_DIR", tempfile.gettempdir()))
    root = base / f"vscrowd-bench-read-{IMAGES}x{HEADS}x{FRAMES}v2" / name
    if name == "fdst":  # its published shape, whatever the scale options
        root = base / "vscrowd-bench-read-fdst-100x150v2" / name
    if not (root / "synth.json").exists():
        print(f"generating the scaled {name} copy in {root} (one-time) ...", file=sys.stderr)
        if name == "sensecrowd":  # its writer is vscrowd.synth's (VSCrowd's videos):
            # 1080p, ~37 heads per frame as published (2.34 M heads / 62,938 frames)
            from vscrowd.synth.sensecrowd import synthesize_sensecrowd

            synthesize_sensecrowd(root, videos=FRAMES // 2, frames=100, size=(1920, 1080),
                                  seed=0, density=0.35, images=False, overwrite=True)
            return root
        if name == "fdst":  # the real dataset's shape (per-video costs weigh as there)
            from vscrowd.datasets import fdst

            fdst.plan_videos, plan = fdst_shaped_videos, fdst.plan_videos
            try:
                fdst.synth_fdst(root, seed=0, overwrite=True)
            finally:
                fdst.plan_videos = plan
            return root
        with scaled_plans():
            registry.dataset_info(name).synth(root, seed=0, overwrite=True)
    return root


def fdst_shaped_videos(seed, splits, **kw):
    """FDST's published shape: 60 train + 40 test videos of 150 frames, 9-43 heads per
    frame (~26 on average, as published: 394,081 heads / 15,000 frames), the same
    people through a video (with people leaving, 150 frames would empty a video)."""
    return synth_videos.plan_videos(seed, {"train": 60, "test": 40}, frames=150,
                                    heads=(9, 43), leave=False)


def _mat_points(path: Path, variable: str) -> list:
    from scipy.io import loadmat

    return loadmat(path)[variable].tolist()


def plain_read(name: str, root: Path) -> int:
    """Heads read by a straightforward per-file loader (points as Python lists)."""
    if name == "nwpu":
        docs = [json.loads(p.read_text()) for p in sorted((root / "jsons").glob("*.json"))]
        return sum(len(d["points"]) for d in docs)
    if name == "fdst":
        docs = [json.loads(p.read_text()) for p in sorted(root.glob("*_data/*/*.json"))]
        return sum(len(next(iter(d.values()))["regions"]) for d in docs)
    if name == "jhu":
        rows = [[float(t) for t in line.split()] for p in sorted(root.glob("*/gt/*.txt"))
                for line in p.read_text().splitlines() if line.strip()]
        return len(rows)
    if name == "qnrf":
        return sum(len(_mat_points(p, "annPoints")) for p in root.glob("*/img_*_ann.mat"))
    if name.startswith("shanghaitech"):
        from scipy.io import loadmat

        return sum(len(loadmat(p)["image_info"][0, 0]["location"][0, 0].tolist())
                   for p in root.glob("*/ground-truth/*.mat"))
    if name == "dronecrowd":
        return sum(len(_mat_points(p, "anno")) for p in (root / "annotations").glob("*.mat"))
    if name == "mall":
        from scipy.io import loadmat

        cells = loadmat(root / "mall_gt.mat")["frame"].ravel()
        return sum(len(c["loc"][0, 0].tolist()) for c in cells)
    if name == "ucsd":
        from scipy.io import loadmat

        return sum(len(c["loc"][0, 0].tolist()) for p in root.glob("vidf-cvpr/*_full.mat")
                   for c in loadmat(p)["frame"].ravel())
    if name == "sensecrowd":
        rows = [[float(t) for t in line.split()[3:]]
                for p in sorted((root / "label_list_all").glob("*.txt"))
                for line in p.read_text().splitlines() if line.strip()]
        return sum(len(r) // 7 for r in rows)
    if name == "venice":
        return sum(len(_mat_points(p, "annotation")) for p in root.glob("*/ground-truth/*.mat"))
    raise ValueError(name)


def measure(name: str) -> str:
    """One dataset's row: plain-Python, cold and cached reads timed in this process."""
    root = dataset_root(name)
    t_plain, n_plain = timed(lambda: plain_read(name, root), repeat=2)
    # Cold reads with and without worker processes alternate, so both see the same
    # state of the machine and of this process (measured one after the other, the later
    # series ran up to 40% slower for datasets that never fork).
    t_cold = t_one = float("inf")
    for _ in range(2):
        t, ds = timed(lambda: registry.open(root, name, cache=False), repeat=1)
        t_cold = min(t_cold, t)
        with one_process():
            t, _ = timed(lambda: registry.open(root, name, cache=False), repeat=1)
        t_one = min(t_one, t)
    registry.open(root, name)  # writes the cache entry
    t_hit, hit = timed(lambda: registry.open(root, name), repeat=3)
    n = len(ds.heads)
    assert n == n_plain == len(hit.heads), (name, n, n_plain, len(hit.heads))
    # Files other than images (annotations, lists, the fixture's manifest): for the
    # per-frame-file datasets (FDST) the cost is per file more than per head.
    files = len(cached_read.dataset_files(root, cache.default_cache_dir(root))[0])
    return (f"{name:<16}{n:>9,}{files:>7,}{t_plain:>9.3f}{t_cold:>8.3f}"
            f"{n / t_cold / 1e6:>10.2f}{t_cold / files * 1e6:>9.1f}"
            f"{t_plain / t_cold:>8.1f}x{t_hit:>9.3f}{t_plain / t_hit:>8.1f}x"
            f"{t_one:>9.3f}")


@contextmanager
def one_process():
    """Reads in this process only (no worker processes) while in the block."""
    old = os.environ.get("VSCROWD_WORKERS")
    os.environ["VSCROWD_WORKERS"] = "1"
    try:
        yield
    finally:
        if old is None:
            del os.environ["VSCROWD_WORKERS"]
        else:
            os.environ["VSCROWD_WORKERS"] = old


def main(names) -> None:
    warnings.simplefilter("ignore")
    print(f"{'dataset':<16}{'heads':>9}{'files':>7}{'plain s':>9}{'cold s':>8}"
          f"{'M heads/s':>10}{'us/file':>9}{'vs plain':>9}{'cache s':>9}{'vs plain':>9}"
          f"{'1 proc s':>9}")
    for name in names:
        print(measure(name), flush=True)
    print("targets: cold >= 1 M heads/s, cache <= 0.2 s (ratios: plain-Python time / "
          "vscrowd time, same process); 1 proc: cold without worker processes "
          f"(here up to {worker_count(1 << 30, 1)} processes)")


if __name__ == "__main__":
    import argparse

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("names", nargs="*", default=NAMES)
    ap.add_argument("--images", type=int, default=IMAGES, help="images per split x")
    ap.add_argument("--heads", type=int, default=HEADS, help="heads per image x")
    ap.add_argument("--frames", type=int, default=FRAMES, help="video frames x")
    args = ap.parse_args()
    IMAGES, HEADS, FRAMES = args.images, args.heads, args.frames
    main(args.names)
