"""The training part of ``make demo``: a reduced-width GNANet, briefly, on CPU."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from pathlib import Path

from ..datasets.vscrowd import VSCrowd
from ..eval import EvaluationResult, Predictions, evaluate
from ..models.pretrained import load_pretrained_config
from .config import TrainConfig
from .export import export_model
from .predict import predict
from .trainer import train

__all__ = ["DEMO_OVERRIDES", "train_demo"]

#: The demo model: GNANet at 1/8 width (labelled "reduced width": not the paper's size).
#: One of the four training videos is held out (validated every 10 epochs, best.pt by
#: mAP@σ=20): the post-processing (NMS radius, count threshold) is chosen on it, as in
#: every run with a hold-out, never on test.
DEMO_OVERRIDES = {
    "model.name": "gnanet", "model.width": 0.125, "model.n_samples": 8,
    "data.crop": (128, 192), "data.workers": 0, "batch_size": 4, "val_every": 10,
    "data.val_fraction": 0.25,
    "optim.optimizer": "adam", "optim.lr": 1e-3, "optim.warmup_steps": 20,
    "epochs": 10_000,  # the step budget (max_steps) is the limit, not epochs
}


def train_demo(ds: VSCrowd, out: Path, echo: Callable[[str], None], steps: int = 400
               ) -> tuple[EvaluationResult, Predictions]:
    """Train on ``ds``, predict its test split and evaluate; returns both."""
    cfg = TrainConfig().override(**{"data.root": str(ds.root), "max_steps": steps,
                                    **DEMO_OVERRIDES})
    echo(f"\n== 4. train a reduced-width GNANet (width 1/8, {steps} steps, CPU) -> "
         f"{out / 'run'}")
    t0 = time.time()
    losses: list[float] = []

    def on_step(step: int, loss: float) -> None:
        losses.append(loss)
        if step % 50 == 0 or step == steps:
            echo(f"   step {step:4d}  loss {sum(losses[-50:]) / len(losses[-50:]):.4f}")

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # random-init backbone: expected here
        train(cfg, out / "run", on_step=on_step)
    echo(f"   trained in {time.time() - t0:.0f} s")
    folder = export_model(out / "run", out / "model")
    echo(f"   exported (vscrowd export) -> {folder}: model.safetensors, config.json, "
         "README.md")
    echo("\n== 5. predict on the test split from the exported model (from_pretrained) and "
         "evaluate")
    preds = predict(folder, ds, split="test", out=out / "preds_gnanet.json")
    post = TrainConfig.from_dict(load_pretrained_config(folder)["train_config"]).post
    echo(f"   points down to score {post.score_floor:g}, NMS radius {post.nms_radius:g} px; "
         f"counted from {post.count_threshold:g}")
    echo(f"   chosen on validation: {post.chosen_on or 'nothing (no validation hold-out)'}")
    res = evaluate(ds, preds, split="test", count_threshold=post.count_threshold)
    echo(str(res))
    return res, preds
