"""Benchmark: your own video in, videos and a report page out (issue #30).

Prints, each with its target (2-core machine):

1. ``predict --video`` with the training-free baseline on a 1080p H.264 clip against
   OpenCV's bare decode rate of the same file, in the same run: target >= 0.8x (the
   command is decode-bound);
2. ``render`` of that clip's predictions (tracks, trails, count strip) at 1080p:
   target >= 15 frames/s;
3. ``report`` on the test-split workload of benchmarks/eval_speed.py (13,600 frames,
   ~610k GT points): target <= 10 s and a page <= 15 MB.

The clip is a synthetic VSCrowd video (``vscrowd synth``) written as .mp4 by
``vscrowd render --no-gt``. Times are the best of ``--repeats`` runs.
Run: ``python benchmarks/video_speed.py [--frames 150] [--repeats 2] [--report-frames 13600]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import cv2

from vscrowd import VSCrowd, synthesize
from vscrowd.eval import evaluate
from vscrowd.report import report_from_result
from vscrowd.video import predict_video, render_dataset_video, render_prediction_file

sys.path.insert(0, str(Path(__file__).resolve().parent))
from eval_speed import workload


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def bare_decode(path: Path) -> int:
    cap = cv2.VideoCapture(str(path))
    n = 0
    while True:
        ok, _img = cap.read()
        if not ok:
            break
        n += 1
    cap.release()
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--frames", type=int, default=150)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--report-frames", type=int, default=13600)
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="vscrowd-video-bench-"))
    root = synthesize(tmp / "data", videos=1, frames=args.frames, size=(1920, 1080),
                      train_fraction=0.0)
    clip = tmp / "test_001.mp4"
    made = render_dataset_video(VSCrowd(root), "test_001", clip, gt=False, fps=25)
    print(f"clip: {made.frames} frames 1920x1080, {made.codec}, "
          f"{clip.stat().st_size / 1e6:.1f} MB")

    n = bare_decode(clip)
    out = tmp / "p.jsonl"
    t_dec, t_pred = [], []
    for _ in range(args.repeats):  # alternated: the machine's load drifts
        t_dec.append(best(lambda: bare_decode(clip), 1))
        t_pred.append(best(lambda: predict_video("baseline", clip, out), 1))
    dec, pred = n / min(t_dec), n / min(t_pred)
    print(f"1. OpenCV bare decode {dec:.1f} frames/s; predict --video (baseline) "
          f"{pred:.1f} frames/s = {pred / dec:.2f}x (target >= 0.8x)")
    t_track = best(lambda: predict_video("baseline", clip, out, track=True), 1)
    print(f"   with --track: {n / t_track:.1f} frames/s = {n / t_track / dec:.2f}x")

    t_ren = best(lambda: render_prediction_file(out, tmp / "r.mp4"), args.repeats)
    print(f"2. render 1920x1080 with tracks: {n / t_ren:.1f} frames/s (target >= 15)")

    gt, preds = workload(args.report_frames)
    t = time.perf_counter()
    result = evaluate(gt, preds)
    t_eval = time.perf_counter() - t

    def report():
        report_from_result(result, gt, preds, tmp / "report", overwrite=True)

    t_rep = best(report, args.repeats)
    size = (tmp / "report" / "index.html").stat().st_size / 1e6
    print(f"3. report on {args.report_frames} frames: {t_rep:.2f} s (target <= 10 s; the "
          f"evaluation before it {t_eval:.2f} s), page {size:.1f} MB (target <= 15 MB)")
    print(f"(files in {tmp})")


if __name__ == "__main__":
    main()
