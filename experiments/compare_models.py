"""Does temporal context help? GNANet (m=3) vs S-GNANet (m=1) vs the no-attention
baseline under the same budget on the synthetic dataset (CPU-sized).

Every model gets the same data, seed, crop, batch, optimiser and number of steps,
and a reduced-width backbone (width 1/8, random init: no weights can be downloaded
here). Prints a table like the paper's Tables II/XIII (σ = 5/20/40) and writes it
to OUT/results.md.

Run: ``python experiments/compare_models.py --out /tmp/compare [--steps 400]``
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import torch

from vscrowd import VSCrowd, synthesize
from vscrowd.eval import evaluate
from vscrowd.train import TrainConfig, predict, train

MODELS = (("gnanet", 3), ("s-gnanet", 1), ("baseline", 1))


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--steps", type=int, default=400)
    ap.add_argument("--videos", type=int, default=12)
    ap.add_argument("--frames", type=int, default=16)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    warnings.simplefilter("ignore", UserWarning)
    data = synthesize(args.out / "data", videos=args.videos, frames=args.frames,
                      size=(320, 180), seed=args.seed, overwrite=True)
    ds = VSCrowd(data)
    rows = []
    for name, m in MODELS:
        cfg = TrainConfig().override(**{
            "data.root": str(data), "model.name": name, "clip_length": m,
            "model.width": 0.125, "model.n_samples": 8, "data.crop": (128, 192),
            "data.workers": 0, "batch_size": 4, "max_steps": args.steps, "val_every": 0,
            "optim.optimizer": "adam", "optim.lr": 1e-3, "optim.warmup_steps": 20,
            "seed": args.seed})
        t0 = time.time()
        train(cfg, args.out / name)
        t_train = time.time() - t0
        preds = predict(args.out / name / "last.pt", ds, split="test", threshold=0.5)
        res = evaluate(ds, preds, split="test")
        row = {"model": name, "m": m, "train_s": round(t_train)}
        for r in res.localization:
            row.update({f"AP.50@{r.sigma:g}": r.ap50, f"mAP@{r.sigma:g}": r.map,
                        f"mAR@{r.sigma:g}": r.mar})
        row["MAE"] = res.counting.mae
        rows.append(row)
        print(json.dumps(row), flush=True)
    header = "| model | m | " + " | ".join(f"mAP σ={s} | mAR σ={s}" for s in (5, 20, 40)) \
        + " | MAE | train s |"
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    for r in rows:
        cells = [r["model"], str(r["m"])]
        for s in (5, 20, 40):
            cells += [f"{100 * r[f'mAP@{s}']:.2f}", f"{100 * r[f'mAR@{s}']:.2f}"]
        cells += [f"{r['MAE']:.2f}", str(r["train_s"])]
        lines.append("| " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print(table)
    (args.out / "results.md").write_text(
        f"steps={args.steps}, seed={args.seed}, torch {torch.__version__}, CPU\n\n{table}\n")


if __name__ == "__main__":
    main()
