"""Benchmark: the evaluator on an NWPU-val-shaped workload (issue #27).

500 images with 0-13,000 heads each (~196k heads, like NWPU-Crowd val's 196,238), head
radii σ_s / σ_l per head as in ``val_gt_loc.txt`` (mostly 5-40 px, a few up to ~1,100 px),
predictions = 85% of the heads with pixel noise plus 5% false positives.

Prints for every family (sigma, count, box, distance, idrees, and all together) the best
time of ``--repeats`` runs and the peak traced memory of one more run (tracemalloc:
NumPy's buffers included; it is off while the clock runs), against the targets: <= 3 s
and <= 1.5 GB with box. The references in the same process, run once on the same data,
are the box family's candidate search before issue #27 (every image at the file's
largest radius) and the Idrees curve before it (one maximum matching per threshold);
their numbers must equal the evaluator's, and the ratio of the times is printed.

Run: ``python benchmarks/dense_eval_speed.py [--repeats 3] [--reference both|box|idrees|none]``
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import pandas as pd

from vscrowd.eval import GroundTruth, Predictions, evaluate
from vscrowd.eval.candidates import candidate_pairs
from vscrowd.eval.families.box import box_threshold_counts
from vscrowd.eval.families.idrees import IDREES_THRESHOLDS
from vscrowd.eval.matching import max_bipartite_match


def workload(seed: int = 0) -> tuple[GroundTruth, Predictions]:
    rng = np.random.default_rng(seed)
    n_img = 500
    counts = np.minimum(rng.lognormal(5.2, 1.6, n_img).astype(np.int64), 13_000)
    counts = (counts * (196_000 / counts.sum())).astype(np.int64).clip(0, 13_000)
    counts[0], counts[1] = 13_000, 0  # the densest image, and an empty one
    size = np.array([2048.0, 1536.0])
    fi = np.repeat(np.arange(n_img), counts)
    xy = rng.uniform(0, 1, (len(fi), 2)) * size
    s_small = np.clip(rng.lognormal(2.4, 0.6, len(fi)), 1, 600)
    giants = rng.random(len(fi)) < 2e-4
    s_small[giants] = rng.uniform(300, 700, giants.sum())
    radius = np.column_stack([s_small, np.minimum(s_small * 1.6, 1106)])
    frames = pd.DataFrame({"video": [""] * n_img, "frame": [str(3110 + i) for i in
                                                             range(n_img)],
                           "width": size[0], "height": size[1]})
    gt = GroundTruth(frames, fi, xy, box=np.column_stack([xy, xy]), radius=radius)
    keep = rng.random(len(fi)) < 0.85
    n_fp = int(0.05 * len(fi))
    p_fi = np.r_[fi[keep], rng.integers(0, n_img, n_fp)]
    p_xy = np.r_[xy[keep] + rng.normal(0, 3, (keep.sum(), 2)),
                 rng.uniform(0, 1, (n_fp, 2)) * size]
    pr = Predictions.from_arrays(frames[["video", "frame"]], p_fi, p_xy,
                                 rng.random(len(p_fi)))
    return gt, pr


def timed(fn, repeats: int, trace: bool = True) -> tuple[float, float, object]:
    """Best wall time of ``repeats`` plain runs, and the peak traced memory of one more
    run (``trace``; else 0): tracemalloc slows every allocation, so it never runs while
    the clock does."""
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    if not trace:
        return best, 0.0, out
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1] / 2**30
    tracemalloc.stop()
    return best, peak, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--reference", choices=("box", "idrees", "both", "none"),
                    default="both", help="the before-#27 runs (box: ~6.5 GB)")
    args = ap.parse_args()
    gt, pr = workload()
    print(f"workload: {len(gt.frames)} images, {len(gt):,} heads "
          f"(max {gt.counts().max():,}/image), {len(pr):,} predictions; radii up to "
          f"{gt.radius.max():.0f} px")
    times: dict[tuple[str, ...], float] = {}
    families = [("sigma",), ("count",), ("box",), ("distance",), ("idrees",),
                ("sigma", "count", "box", "distance", "idrees")]
    res = {}
    for fam in families:
        sig = (5.0, 20.0, 40.0) if "sigma" in fam else ()
        t, mem, res[fam] = timed(lambda f=fam, s=sig: evaluate(gt, pr, sigmas=s, metrics=f),
                                 args.repeats)
        ok = "ok" if t <= 3.0 and mem <= 1.5 else "OVER TARGET"
        print(f"{'+'.join(fam):36s} {t:7.2f} s  {mem:6.2f} GB   target <= 3 s, <= 1.5 GB: {ok}")
        times[fam] = t
    references(gt, pr, res, times, args.reference)


def references(gt, pr, res, times, which: str) -> None:
    """The box search and the Idrees curve as before #27, on the same data: the same
    numbers, and the time ratio (same process, same machine state)."""
    dt_f, dt_xy = pr.frame_index, pr.xy

    def box_before():  # one search at the file's largest radius
        out = []
        for sig in gt.radius.T:
            pairs = candidate_pairs(dt_f, dt_xy, gt.frame_index, gt.xy, float(sig.max()))
            b = box_threshold_counts(dt_f, dt_xy, gt.frame_index, gt.xy, sig, pairs)
            out.append((b.tp, b.fp, b.fn))
        return out

    def idrees_before():  # one maximum matching per threshold
        pd_, pg = candidate_pairs(dt_f, dt_xy, gt.frame_index, gt.xy, 100.0)
        d = np.hypot(*(dt_xy[pd_] - gt.xy[pg]).T)
        return [int((max_bipartite_match(pd_[d <= r], pg[d <= r], len(dt_xy), len(gt))
                     >= 0).sum()) for r in IDREES_THRESHOLDS]

    if which in ("box", "both"):
        box = [(b.tp, b.fp, b.fn) for b in res[("box",)].box_threshold]
        t, _, ref = timed(box_before, 1, trace=False)
        print(f"{'box, reference (file-wide radius)':36s} {t:7.2f} s   same TP/FP/FN: "
              f"{ref == box}; {t / times[('box',)]:.1f}x the time")
    if which in ("idrees", "both"):
        idrees = res[("idrees",)].idrees
        t, _, ref = timed(idrees_before, 1, trace=False)
        same = np.array_equal(np.array(ref) / len(pr), idrees.precision_curve)
        print(f"{'idrees, reference (per threshold)':36s} {t:7.2f} s   same curve: {same}; "
              f"{t / times[('idrees',)]:.1f}x the time")


if __name__ == "__main__":
    main()
