"""Benchmark: the evaluator on a workload shaped like the VSCrowd test split.

13,600 frames with ~45 GT heads each (~610k GT points); predictions = 85% of the GT
with pixel noise plus ~6 false positives per frame, random scores.

Times vscrowd (σ = 5/20/40, all ten thresholds, plus counting) on the full workload,
then pycocotools and faster-coco-eval on a 300-frame subset for ONE σ, checks that
vscrowd's AP/AR equal pycocotools' there (|Δ| <= 1e-9), and prints the ratios.
Target (2-core machine): full workload <= 10 s.
Run: ``python benchmarks/eval_speed.py [--frames 13600] [--subset 300]``
"""

from __future__ import annotations

import argparse
import contextlib
import io
import time

import numpy as np
import pandas as pd

from vscrowd.eval import GroundTruth, Predictions, evaluate


def workload(n_frames: int, seed: int = 0) -> tuple[GroundTruth, Predictions]:
    rng = np.random.default_rng(seed)
    n_gt = rng.poisson(45, n_frames)
    gt_frame = np.repeat(np.arange(n_frames), n_gt)
    gt_xy = rng.uniform([0, 0], [1920, 1080], (len(gt_frame), 2)).round(2)
    keep = rng.random(len(gt_frame)) < 0.85
    tp_xy = gt_xy[keep] + rng.normal(0, 4, (keep.sum(), 2))
    n_fp = rng.poisson(6, n_frames)
    fp_frame = np.repeat(np.arange(n_frames), n_fp)
    fp_xy = rng.uniform([0, 0], [1920, 1080], (len(fp_frame), 2))
    dt_frame = np.concatenate([gt_frame[keep], fp_frame])
    dt_xy = np.concatenate([tp_xy, fp_xy])
    order = np.argsort(dt_frame, kind="stable")
    dt_frame, dt_xy = dt_frame[order], dt_xy[order]
    scores = rng.random(len(dt_frame)).round(4)
    frames = pd.DataFrame({"video": [f"test_{i // 100 + 1:03d}" for i in range(n_frames)],
                           "frame": [f"{i % 100 + 1:04d}" for i in range(n_frames)],
                           "width": 1920.0, "height": 1080.0})
    gt = GroundTruth.from_arrays(frames, gt_frame, gt_xy,
                                 np.column_stack([gt_xy - 10, gt_xy + 10]))
    preds = Predictions.from_arrays(frames[["video", "frame"]], dt_frame, dt_xy, scores)
    return gt, preds


def subset(gt: GroundTruth, preds: Predictions, n: int) -> tuple[GroundTruth, Predictions]:
    keep = np.arange(len(gt.frames)) < n
    return gt.keep_frames(keep), preds.keep_frames(keep)


def coco_dicts(gt: GroundTruth, preds: Predictions, sigma: float):
    images = [{"id": i + 1, "width": 1920, "height": 1080} for i in range(len(gt.frames))]
    anns = [{"id": k + 1, "image_id": int(f) + 1, "category_id": 1,
             "keypoints": [float(x), float(y), 2], "num_keypoints": 1,
             "area": float(sigma) ** 2, "bbox": [float(x), float(y), 1.0, 1.0], "iscrowd": 0}
            for k, (f, (x, y)) in enumerate(zip(gt.frame_index, gt.points))]
    dets = [{"image_id": int(f) + 1, "category_id": 1, "keypoints": [float(x), float(y), 1],
             "score": float(s)} for f, (x, y), s in zip(preds.frame_index, preds.points,
                                                        preds.scores)]
    return {"images": images, "annotations": anns,
            "categories": [{"id": 1, "name": "head", "keypoints": ["c"]}]}, dets


def run_coco(module: str, gt_dict, dets, sigma):
    if module == "pycocotools":
        from pycocotools.coco import COCO
        from pycocotools.cocoeval import COCOeval
    else:
        from faster_coco_eval import COCO
        from faster_coco_eval import COCOeval_faster as COCOeval
    with contextlib.redirect_stdout(io.StringIO()):
        t = time.perf_counter()
        coco = COCO()
        coco.dataset = gt_dict
        coco.createIndex()
        dt = coco.loadRes(dets)
        E = COCOeval(coco, dt, "keypoints")
        E.params.kpt_oks_sigmas = np.array([0.5])
        # No cap: the largest number of detections in any frame (faster-coco-eval
        # allocates per maxDets, so 10**9 would not fit in memory).
        per_img = np.bincount([d["image_id"] for d in dets]).max(initial=1)
        E.params.maxDets = [int(per_img)]
        E.params.areaRng = [[0, 1e10]]
        E.params.areaRngLbl = ["all"]
        E.evaluate()
        E.accumulate()
        elapsed = time.perf_counter() - t
    return elapsed, E.eval["precision"][:, :, 0, 0, 0], E.eval["recall"][:, 0, 0, 0]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=13600)
    ap.add_argument("--subset", type=int, default=300)
    args = ap.parse_args()

    gt, preds = workload(args.frames)
    evaluate(*subset(gt, preds, 50))  # warm-up (imports, first calls)
    t = time.perf_counter()
    res = evaluate(gt, preds, sigmas=(5, 20, 40), metrics=("sigma", "count"))
    t_full = time.perf_counter() - t
    print(f"workload: {args.frames:,} frames, {len(gt):,} GT points, "
          f"{len(preds):,} predicted points")
    print(res.format("table").split("\n\n")[0])
    print(f"vscrowd, full workload, σ = 5/20/40 + counting: {t_full:.2f} s (target <= 10 s)")

    sigma = 20.0
    sg, sp = subset(gt, preds, args.subset)
    t = time.perf_counter()
    ours = evaluate(sg, sp, sigmas=[sigma], metrics=("sigma",)).sigma(sigma)
    t_ours = time.perf_counter() - t
    gt_dict, dets = coco_dicts(sg, sp, sigma)
    rows = [("vscrowd", t_ours, None)]
    for mod in ("pycocotools", "faster_coco_eval"):
        try:
            elapsed, prec, rec = run_coco(mod, gt_dict, dets, sigma)
        except ImportError:
            print(f"{mod} not installed; skipped")
            continue
        diff = max(np.abs(prec - ours.precision).max(), np.abs(rec - ours.recall).max())
        rows.append((mod, elapsed, diff))
    print(f"\n{args.subset}-frame subset, one σ = {sigma:g}:")
    print(f"{'evaluator':<18}{'seconds':>10}{'vs vscrowd':>12}{'max |Δ| AP/AR':>16}")
    for name, sec, diff in rows:
        print(f"{name:<18}{sec:>10.3f}{sec / t_ours:>11.0f}x"
              f"{'' if diff is None else f'{diff:.1e}':>16}")
    for name, sec, diff in rows[1:]:
        if name == "pycocotools":
            assert diff <= 1e-9, f"vscrowd differs from pycocotools by {diff}"
            per_frame = sec / args.subset
            est = per_frame * args.frames * 3
            print(f"pycocotools extrapolated to the full workload and 3 σ: ~{est / 60:.0f} min "
                  f"(~{est / t_full:.0f}x vscrowd's {t_full:.1f} s)")


if __name__ == "__main__":
    main()
