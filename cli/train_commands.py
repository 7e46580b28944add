"""``vscrowd train | predict | demo``."""

from __future__ import annotations

import os
from pathlib import Path

import click

from vscrowd import choices

from .common import DATA_OPTION, DATASET_OPTION, open_data, parse_size, progress
from .video_commands import predict_video_command, video_options


def _require_torch(feature: str) -> None:
    from vscrowd._optional import require_torch

    require_torch(feature)


def _parse_range(text: str) -> tuple[float, float]:
    try:
        lo, hi = (float(v) for v in text.split(","))
    except ValueError:
        raise click.BadParameter(f"expected LO,HI (e.g. 0.8,1.2), got {text!r}",
                                 param_hint="--scale") from None
    if not 0 < lo <= hi:
        raise click.BadParameter(f"expected 0 < LO <= HI, got {text!r}", param_hint="--scale")
    return lo, hi


def _parse_model_options(items: tuple[str, ...]) -> dict:
    """``KEY=JSON`` pairs (a bare word is a string: ``sampler=disk``)."""
    import json

    out = {}
    for item in items:
        key, sep, text = item.partition("=")
        if not sep or not key.isidentifier():
            raise click.BadParameter(f"expected KEY=VALUE, got {item!r}",
                                     param_hint="--model-option")
        try:
            out[key] = json.loads(text)
        except json.JSONDecodeError:
            out[key] = text
    return out


@click.command("train")
@DATA_OPTION
@DATASET_OPTION
@click.option("--model", "model", default=None,
              help="A registered model (vscrowd.models.list_models(); default gnanet).")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Run folder.")
@click.option("--preset", type=click.Choice(choices.PRESET_NAMES), default=None,
              help="Recipe: paper (SGD, fixed lr 2e-6, summed loss, batch 16, 30 epochs) or "
                   "vscrowd (the default; docs/model.md).")
@click.option("--config", "config", type=click.Path(path_type=Path), default=None,
              help="YAML/JSON config (see docs/model.md); flags override it.")
@click.option("--epochs", type=int, default=None)
@click.option("--max-steps", type=int, default=None)
@click.option("--batch-size", type=int, default=None)
@click.option("--lr", type=float, default=None,
              help="Learning rate (default: the preset's; 1e-3 with --optimizer adam).")
@click.option("--optimizer", type=click.Choice(choices.OPTIMIZERS), default=None)
@click.option("--crop", default=None, help="Training crop HxW (multiples of 8).")
@click.option("--scale", default=None, help="Random scale range LO,HI (1,1: none).")
@click.option("--flip", type=click.FloatRange(0, 1), default=None,
              help="Horizontal flip probability (0: none).")
@click.option("--jitter", type=click.FloatRange(min=0), default=None,
              help="Colour jitter strength (0: none).")
@click.option("--amp/--no-amp", default=None, help="bf16 autocast on CUDA.")
@click.option("--loss-reduction", type=click.Choice(choices.LOSS_REDUCTIONS), default=None,
              help="Weighted BCE summed or averaged over pixels (paper: silent).")
@click.option("--clip-length", type=int, default=None,
              help="Frames per clip (odd; default: the model's).")
@click.option("--width", type=float, default=None,
              help="Channel multiplier (reduced-width models for CPU demos).")
@click.option("--backbone", type=click.Choice(choices.BACKBONE_NAMES), default=None,
              help="VGG16 front-end: the paper's 10 convs + 3 pools (default) or 13 convs.")
@click.option("--border", type=click.Choice(choices.BORDER_POLICIES), default=None,
              help="GNA samples that fall off the feature map (default reflect).")
@click.option("--model-option", "model_option", multiple=True, metavar="KEY=JSON",
              help="An option of the registered model passed to its builder as it is "
                   "(model.options; repeatable), e.g. --model-option heads=2.")
@click.option("--device", type=click.Choice(choices.DEVICES), default=None)
@click.option("--backend", type=click.Choice(choices.BACKENDS), default=None,
              help="GNA kernel (default auto: Triton on CUDA when installed).")
@click.option("--deterministic", is_flag=True, default=None,
              help="Deterministic algorithms: bit-exact resume on CUDA (slower).")
@click.option("--workers", type=click.IntRange(min=0), default=None)
@click.option("--seed", type=int, default=None)
@click.option("--val-every", type=int, default=None, help="Validate every k epochs (0: off).")
@click.option("--val-split", default=None,
              help="Validation set for best.pt: 'holdout' (default: a scene-disjoint 10%% of "
                   "the training videos) or a split name.")
@click.option("--select-on-test", is_flag=True,
              help="Allow --val-split test (model selection on test; recorded in config).")
@click.option("--backbone-weights", type=click.Path(path_type=Path), default=None,
              help="torchvision-layout VGG16 checkpoint (ImageNet).")
@click.option("--checkpoint-every", type=int, default=None,
              help="Also write OUT/last.pt every k steps (survives a hard kill).")
@click.option("--resume", is_flag=True,
              help="Continue from OUT/last.pt exactly, with its stored config; flags given "
                   "may change only where/how long/how often (docs/model.md).")
@click.option("--allow-changes", is_flag=True,
              help="With --resume: accept flags that change the run (recorded in config.json).")
def train_cmd(data, dataset, model, out, preset, config, epochs, max_steps, batch_size, lr,
              optimizer, crop, scale, flip, jitter, amp, loss_reduction, clip_length, width,
              backbone, border, model_option, device, backend, deterministic, workers, seed,
              val_every, val_split, select_on_test, backbone_weights, checkpoint_every,
              resume, allow_changes):
    """Train GNANet (or a variant). Multi-GPU: torchrun --nproc_per_node K -m vscrowd.cli.main
    train ... (see docs/model.md)."""
    _require_torch("vscrowd train")
    from vscrowd.train import TrainConfig, train
    from vscrowd.train.config import ADAM_DEFAULT_LR
    from vscrowd.train.trainer import resume_config

    if resume:
        if config or preset:
            raise click.UsageError("--resume continues with the run's stored config; "
                                   "--config and --preset cannot change it")
        cfg = resume_config(out)
    elif config:
        cfg = TrainConfig.from_file(config)
    else:
        cfg = TrainConfig.from_preset(preset or "vscrowd")
    if config and preset and preset != cfg.preset:
        cfg = TrainConfig.from_dict({**cfg.to_dict(), "preset": preset})
    if optimizer == "adam" and lr is None and cfg.optim.optimizer != "adam":
        lr = ADAM_DEFAULT_LR
    cfg = cfg.override(**{
        "data.root": str(data), "data.dataset": dataset, "model.name": model,
        "epochs": epochs, "max_steps": max_steps,
        "batch_size": batch_size, "optim.lr": lr, "optim.optimizer": optimizer,
        "data.crop": parse_size(crop, "crop") if crop else None, "clip_length": clip_length,
        "data.scale": _parse_range(scale) if scale else None, "data.flip": flip,
        "data.jitter": jitter, "amp": amp, "optim.loss_reduction": loss_reduction,
        "model.width": width, "model.backbone": backbone, "model.border": border,
        "device": device, "model.backend": backend, "deterministic": deterministic or None,
        "data.workers": workers, "seed": seed, "val_every": val_every,
        "data.val_split": val_split, "data.select_on_test": select_on_test or None,
        "checkpoint_every": checkpoint_every,
        "model.backbone_weights": str(backbone_weights) if backbone_weights else None,
        "model.options": ({**cfg.model.options, **_parse_model_options(model_option)}
                          if model_option else None),
    })
    res = train(cfg, out, resume=resume, allow_changes=allow_changes)
    state = "interrupted (resume with --resume)" if res.interrupted else "done"
    best = "n/a" if res.best_map20 is None else f"{100 * res.best_map20:.2f}"
    if int(os.environ.get("RANK", "0")) == 0:  # under torchrun only rank 0 reports
        click.echo(f"{state}: {res.steps} steps, {res.epochs_done} epochs, best mAP@σ=20 "
                   f"{best}, checkpoints in {out}")
    if res.interrupted:
        raise SystemExit(130)  # the conventional status after Ctrl-C


@click.command("predict")
@click.argument("model_source", metavar="MODEL", type=click.Path(path_type=Path))
@click.option("--data", "data", envvar="VSCROWD_DATA", show_envvar=True, default=None,
              type=click.Path(path_type=Path),
              help="Dataset root (ROOT/annotations, ROOT/videos); or use --video.")
@click.option("--video", "video", default=None,
              help="Your own footage instead of a dataset: a video file, a folder or glob "
                   "of frames, or a stream URL OpenCV opens (writes JSON Lines as it runs).")
@click.option("--split", default="test", show_default=True,
              help="With --data: the split to predict (all: every frame).")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Prediction file (.json or .jsonl; .jsonl with --video).")
@click.option("--threshold", default=None, type=float,
              help="Count threshold on a peak's own probability (default: the model's, "
                   "chosen on validation at the end of training).")
@click.option("--score-floor", default=None, type=float,
              help="Lowest peak score written (default: the model's, 0.05 unless set).")
@click.option("--device", default="auto", show_default=True,
              type=click.Choice(choices.DEVICES))
@DATASET_OPTION
@click.option("--tile", default=choices.TILE, show_default=True, type=click.IntRange(min=0),
              help="Frames with a side longer than this (px, a multiple of 8) run through "
                   "the model in overlapping tiles of this size: bounded memory on giant "
                   "images (NWPU-Crowd, UCF-QNRF). 0: whole frames.")
@video_options
def predict_cmd(model_source, data, video, split, out, threshold, score_floor, device,
                dataset, tile, **video_opts):
    """Run a trained model over a split (--data) or a video (--video) and write
    predictions.

    MODEL is a training checkpoint, a run folder (best.pt, else last.pt), a folder
    written by `vscrowd export`, or a Hugging Face repo id holding one; with --video it
    may be `baseline`, the training-free baseline (no torch, no training)."""
    if video is not None:
        predict_video_command(model_source, video, out, threshold, score_floor, device,
                              tile or None, **video_opts)
        return
    if data is None:
        raise click.UsageError("give --data ROOT (a dataset split) or --video SRC")
    if str(model_source) in ("baseline", "background-blobs") and not model_source.exists():
        raise click.UsageError("the training-free baseline on a dataset is `vscrowd "
                               "baseline --data ROOT --out P`; `predict baseline` takes "
                               "--video")
    _require_torch("vscrowd predict")
    import torch

    from vscrowd.train import predict

    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    ds = open_data(data, split=split, dataset=dataset)
    with progress(len(ds.videos), "predict") as bar:
        preds = predict(model_source, ds, split=None, out=out, threshold=threshold,
                        score_floor=score_floor, device=device, tile=tile or None,
                        progress=lambda _v: bar.update())
    click.echo(f"wrote {out}: {len(preds.frames)} frames, {len(preds)} points, model "
               f"{preds.method}; count with vscrowd eval --count-threshold (the value above)")


@click.command("export")
@click.argument("source", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Folder for model.safetensors, config.json and README.md.")
@click.option("--dtype", type=click.Choice(["fp32", "bf16"]), default="fp32",
              show_default=True, help="Type of the stored floating-point weights.")
def export_cmd(source, out, dtype):
    """Export a checkpoint (or a run folder's best.pt/last.pt) as a shareable model folder
    (safetensors weights, config, model card) for vscrowd.models.from_pretrained."""
    _require_torch("vscrowd export")
    from vscrowd.train import export_model

    folder = export_model(source, out, dtype=dtype)
    click.echo(f"wrote {folder}: model.safetensors, config.json, README.md")


@click.command("demo")
@click.option("--out", default="demo-out", show_default=True, type=click.Path(path_type=Path),
              help="Working folder (created; only files the demo writes are replaced).")
@click.option("--steps", default=400, show_default=True, type=int,
              help="Training steps of the small CPU model.")
def demo_cmd(out, steps):
    """The whole story on synthetic data: synthesize, stats, train, predict, evaluate, show."""
    from vscrowd.demo import run_demo

    run_demo(out, echo=click.echo, steps=steps)


COMMANDS = [train_cmd, predict_cmd, export_cmd, demo_cmd]
