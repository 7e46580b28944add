"""``vscrowd eval``."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from vscrowd.eval import DEFAULT_METRICS, DEFAULT_SIGMAS, METRICS, evaluate, read_predictions

from .common import DATA_OPTION, FORMAT_OPTION, open_data, progress


@click.command("eval")
@click.argument("preds", type=click.Path(path_type=Path))
@DATA_OPTION
@click.option("--split", default="test", show_default=True,
              help="Split to score; 'all' scores every frame.")
@click.option("--split-file", multiple=True, type=click.Path(path_type=Path),
              help="Split list file(s) (SenseCrowd style); the split is the file stem.")
@click.option("--sigma", "sigmas", multiple=True, type=float,
              help="Positive range σ in px (repeatable). Default: 5, 20, 40.")
@click.option("--metric", "metrics", multiple=True, type=click.Choice(METRICS),
              help="Add a metric family to the defaults (sigma, count); repeatable.")
@click.option("--count-threshold", default=0.5, show_default=True, type=float,
              help="Points with score >= this count towards MAE/RMSE.")
@click.option("--json", "json_out", type=str, default=None,
              help="Write results as JSON to this file, or '-' for stdout.")
@FORMAT_OPTION
@click.option("--plot-dir", type=click.Path(path_type=Path), default=None,
              help="Write precision-recall curves (PNG) here.")
@click.option("--bootstrap", default=0, show_default=True, type=int,
              help="Bootstrap resamples of whole videos for 95% intervals.")
@click.option("--seed", default=0, show_default=True, type=int, help="Bootstrap seed.")
@click.option("--ignore-unknown", is_flag=True,
              help="Drop predicted frames that are not in the split instead of failing.")
@click.option("--no-cache", is_flag=True, help="Do not read/write the annotation cache.")
@click.option("--names", "names_csv", type=click.Path(path_type=Path), default=None,
              help="SenseCrowd->VSCrowd name map (vscrowd map-names): translates the video "
                   "names of the predictions and split files.")
def eval_cmd(preds, data, split, split_file, sigmas, metrics, count_threshold, json_out, fmt,
             plot_dir, bootstrap, seed, ignore_unknown, no_cache, names_csv):
    """Score a prediction file (JSON, JSONL or TXT folder) against the ground truth.

    Prints the paper's table (rows σ; AP.50 AP.75 mAP AR.50 AR.75 mAR) and MAE/RMSE.
    Exit codes: 0 success, 2 bad input, 1 internal error.
    """
    from vscrowd._io import atomic_write_text

    names = None
    if names_csv is not None:
        from vscrowd.namemap import read_name_map

        names = read_name_map(names_csv)
    ds = open_data(data, split_file, no_cache, names=names)
    predictions = read_predictions(preds)
    if names:
        predictions = predictions.rename_videos(names)
    metrics = tuple(dict.fromkeys((*DEFAULT_METRICS, *metrics)))  # defaults + additions
    sig = sigmas or DEFAULT_SIGMAS
    stages = len(sig) + len(metrics)
    with progress(stages, "eval") as bar:
        result = evaluate(ds, predictions, sigmas=sig, metrics=metrics,
                          split=None if split == "all" else split,
                          count_threshold=count_threshold, ignore_unknown=ignore_unknown,
                          bootstrap=bootstrap, seed=seed, progress=lambda _s: bar.update())
    if json_out == "-":
        sys.stdout.write(result.to_json() + "\n")
    else:
        click.echo(result.format(fmt))
        if json_out:
            atomic_write_text(json_out, result.to_json() + "\n")
            click.echo(f"wrote {json_out}", err=True)
    if plot_dir is not None:
        for p in result.plot(plot_dir):
            click.echo(f"wrote {p}", err=True)


@click.command("baseline")
@DATA_OPTION
@click.option("--split", default="test", show_default=True,
              help="Split to predict; 'all' predicts every frame.")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Prediction file (.json or .jsonl).")
def baseline_cmd(data, split, out):
    """A first prediction file without training: the training-free baseline (per-video
    median background, blob peaks of the difference). Needs frame images, not torch."""
    from vscrowd.baselines import background_blobs
    from vscrowd.eval import write_predictions

    ds = open_data(data, split=None if split == "all" else split)
    with progress(len(ds.videos), "baseline") as bar:
        preds = background_blobs(ds, progress=lambda _v: bar.update())
    write_predictions(preds, out)
    click.echo(f"wrote {out}: {len(preds.frames)} frames, {len(preds)} points "
               "(background-blobs baseline)")


COMMANDS = [eval_cmd, baseline_cmd]
