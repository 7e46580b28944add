"""Benchmark: tracking metrics, video individual counting and the baseline tracker on a
workload shaped like the VSCrowd test split with track IDs.

137 videos x 100 frames (13,700 frames) with ~45 people each; predictions keep 85% of
the heads with pixel noise, add ~6 false points per frame, swap and fragment some
predicted IDs. Prints, in one process: vscrowd's tracking metrics (HOTA over its 19 α,
CLEAR, identity) on the whole workload (target <= 20 s), VIC (target <= 1 s), the
tracker over the whole split (target <= 30 s), and TrackEval / motmetrics on a subset
with the ratios.
Run: ``python benchmarks/tracking_speed.py [--videos 137] [--subset 5]``
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

from vscrowd.eval import GroundTruth
from vscrowd.eval.tracking import TrackSequence, tracking_metrics
from vscrowd.eval.vic import video_count
from vscrowd.eval.video_scores import score_counts, score_tracks
from vscrowd.methods.tracker import _link


def video(rng, frames=100, people=45):
    """One video's GT and predicted (frame, id, xy) arrays."""
    start = rng.uniform([0, 0], [1920, 1080], (people * 2, 2))
    vel = rng.normal(0, 2, (people * 2, 2))
    enter = rng.integers(-frames, frames, people * 2)
    life = rng.integers(20, 2 * frames, people * 2)
    g, d = [], []
    pred_id = np.arange(people * 2) + 10_000
    for f in range(frames):
        if rng.random() < 0.2:
            a, b = rng.choice(people * 2, 2, replace=False)
            pred_id[[a, b]] = pred_id[[b, a]]
        alive = np.flatnonzero((enter <= f) & (f < enter + life))
        xy = start[alive] + (f - enter[alive])[:, None] * vel[alive]
        for i, p in zip(alive, xy):
            g.append((f, i, *p))
            if rng.random() < 0.85:
                d.append((f, pred_id[i], *(p + rng.normal(0, 3, 2))))
        for k in range(rng.poisson(6)):
            d.append((f, 90_000 + 10 * f + k, *rng.uniform([0, 0], [1920, 1080])))
    return np.array(g), np.array(d)


def sequences(n_videos, seed=0):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_videos):
        g, d = video(rng)
        out.append(TrackSequence(100, g[:, 0].astype(np.int64), g[:, 1].astype(np.int64),
                                 g[:, 2:], d[:, 0].astype(np.int64), d[:, 1].astype(np.int64),
                                 d[:, 2:]))
    return out


def trackeval_time(seqs):
    import trackeval

    def data(s):
        gi, ginv = np.unique(s.gt_id, return_inverse=True)
        di, dinv = np.unique(s.dt_id, return_inverse=True)
        out = {"num_timesteps": s.n_frames, "num_gt_ids": len(gi), "num_tracker_ids": len(di),
               "num_gt_dets": len(s.gt_id), "num_tracker_dets": len(s.dt_id), "gt_ids": [],
               "tracker_ids": [], "similarity_scores": []}
        for f in range(s.n_frames):
            a, b = s.gt_frame == f, s.dt_frame == f
            out["gt_ids"].append(ginv[a])
            out["tracker_ids"].append(dinv[b])
            d2 = ((s.gt_xy[a][:, None] - s.dt_xy[b][None]) ** 2).sum(-1)
            out["similarity_scores"].append(np.exp(-d2 / 800.0))
        return out

    t0 = time.perf_counter()
    for s in seqs:
        dd = data(s)
        quiet = {"PRINT_CONFIG": False}
        for m in (trackeval.metrics.HOTA(), trackeval.metrics.CLEAR(quiet),
                  trackeval.metrics.Identity(quiet)):
            m.eval_sequence(dd)
    return time.perf_counter() - t0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--videos", type=int, default=137)
    ap.add_argument("--subset", type=int, default=5)
    args = ap.parse_args()
    seqs = sequences(args.videos)
    n_frames = sum(s.n_frames for s in seqs)
    n_gt = sum(len(s.gt_id) for s in seqs)
    print(f"workload: {len(seqs)} videos, {n_frames} frames, {n_gt} GT points, "
          f"{sum(len(s.dt_id) for s in seqs)} predicted points")
    t0 = time.perf_counter()
    tracking_metrics(seqs)
    t_track = time.perf_counter() - t0
    print(f"tracking metrics (HOTA x19 α, CLEAR, identity): {t_track:.2f} s (target <= 20 s)")

    # VIC through the evaluator's path (ground truth with head IDs).
    frames = pd.DataFrame({"video": [f"test_{v + 1:03d}" for v in range(len(seqs))
                                     for _ in range(100)],
                           "frame": [f"{f + 1:04d}" for _ in seqs for f in range(100)]})
    off = np.arange(len(seqs)) * 100
    gt = GroundTruth.from_arrays(frames.assign(width=1920.0, height=1080.0),
                     np.concatenate([s.gt_frame + o for s, o in zip(seqs, off)]),
                     np.concatenate([s.gt_xy for s in seqs]),
                     np.zeros((n_gt, 4)), np.concatenate([s.gt_id for s in seqs]))
    dt_frame = np.concatenate([s.dt_frame + o for s, o in zip(seqs, off)])
    t0 = time.perf_counter()
    score_tracks(gt, dt_frame, np.concatenate([s.dt_xy for s in seqs]),
                 np.concatenate([s.dt_id for s in seqs]))
    print(f"tracking + VIC through the evaluator: {time.perf_counter() - t0:.2f} s")
    t0 = time.perf_counter()
    pred = {}
    for v, s in enumerate(seqs):
        frames_ids = [s.dt_id[s.dt_frame == f] for f in range(s.n_frames)]
        pred[f"test_{v + 1:03d}"] = video_count(frames_ids, "unique")
    score_counts(gt, pred)
    print(f"VIC alone (both protocols, ground truth and predictions): "
          f"{time.perf_counter() - t0:.2f} s (target <= 1 s)")

    t0 = time.perf_counter()
    for s in seqs:
        order = np.argsort(s.dt_frame, kind="stable")
        b = np.searchsorted(s.dt_frame[order], np.arange(101))
        _link([s.dt_xy[order[b[f]:b[f + 1]]] for f in range(100)],
              __import__("vscrowd.tracker", fromlist=["TrackerConfig"]).TrackerConfig())
    print(f"baseline tracker over the split: {time.perf_counter() - t0:.2f} s "
          "(target <= 30 s)")

    sub = seqs[: args.subset]
    t0 = time.perf_counter()
    tracking_metrics(sub)
    t_ours = time.perf_counter() - t0
    try:
        t_ref = trackeval_time(sub)
        print(f"subset of {len(sub)} videos: vscrowd {t_ours:.2f} s, TrackEval {t_ref:.2f} s "
              f"({t_ref / t_ours:.1f}x)")
    except ImportError:
        print("TrackEval not installed: no reference timing")


if __name__ == "__main__":
    main()
