"""``vscrowd eval``."""

from __future__ import annotations

from pathlib import Path

import click

from vscrowd.eval.families import DEFAULT_METRICS, DEFAULT_SIGMAS, METRICS

from .common import (
    DATA_OPTION,
    FORMAT_OPTION,
    PREDS_ARGUMENT,
    emit,
    open_data,
    progress,
    split_option,
)


@click.command("eval")
@PREDS_ARGUMENT
@DATA_OPTION
@split_option("Split to score; 'all' scores every frame.")
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
@click.option("--track-sigma", default=20.0, show_default=True, type=float,
              help="σ (px) of the point similarity of the tracking metrics.")
@click.option("--vic-interval", default=15, show_default=True, type=click.IntRange(min=1),
              help="Frame interval of the drnet video-counting protocol.")
def eval_cmd(preds, data, split, split_file, sigmas, metrics, count_threshold, json_out, fmt,
             plot_dir, bootstrap, seed, ignore_unknown, no_cache, names_csv, track_sigma,
             vic_interval):
    """Score a prediction file (JSON, JSONL or TXT folder) against the ground truth.

    Prints the paper's table (rows σ; AP.50 AP.75 mAP AR.50 AR.75 mAR) and MAE/RMSE.
    Exit codes: 0 success, 2 bad input, 1 internal error.
    """
    from vscrowd.eval import evaluate, read_predictions

    names = None
    if names_csv is not None:
        from vscrowd.datasets.namemap import read_name_map

        names = read_name_map(names_csv)
    ds = open_data(data, split_file, no_cache, names=names)
    if _is_counts_file(preds):
        _eval_counts(ds, preds, split, names, json_out, fmt, vic_interval)
        return
    predictions = read_predictions(preds)
    if names:
        predictions = predictions.rename_videos(names)
    if predictions.track_ids is not None:
        metrics = (*metrics, "track")  # the points carry track IDs: score the tracks too
    metrics = tuple(dict.fromkeys((*DEFAULT_METRICS, *metrics)))  # defaults + additions
    sig = sigmas or DEFAULT_SIGMAS
    stages = len(sig) + len(metrics)
    with progress(stages, "eval") as bar:
        result = evaluate(ds, predictions, sigmas=sig, metrics=metrics,
                          split=None if split == "all" else split,
                          track_sigma=track_sigma, vic_interval=vic_interval,
                          count_threshold=count_threshold, ignore_unknown=ignore_unknown,
                          bootstrap=bootstrap, seed=seed, progress=lambda _s: bar.update())
    emit(result.format(fmt), result.to_json(), json_out)
    if plot_dir is not None:
        for p in result.plot(plot_dir):
            click.echo(f"wrote {p}", err=True)


def _is_counts_file(path: Path) -> bool:
    """A ``vscrowd-video-counts`` file (recognised by its format field)."""
    if not path.is_file() or path.suffix != ".json":
        return False
    with open(path, "rb") as fh:
        head = fh.read(4096)
    return b'"vscrowd-video-counts"' in head


def _eval_counts(ds, path: Path, split: str, names, json_out, fmt, interval: int) -> None:
    import json
    import warnings

    from vscrowd.errors import VSCrowdWarning
    from vscrowd.eval import GroundTruth
    from vscrowd.eval.results import format_tracking
    from vscrowd.eval.vic import read_video_counts
    from vscrowd.eval.video_scores import score_counts

    counts = read_video_counts(path)
    if names:
        counts = {names.get(v, v): c for v, c in counts.items()}
    view = ds if split == "all" else ds.select(split=split)
    gt = GroundTruth.from_dataset(view)
    unknown = sorted(set(counts) - set(gt.frames["video"]))
    if unknown:
        from vscrowd.errors import PredictionFormatError

        raise PredictionFormatError(f"names {len(unknown)} video(s) not in the evaluated "
                                    f"split, e.g. {unknown[0]} (check --split or --names)",
                                    path=path)
    labels = (dict(zip(view.videos["video"], view.videos["scene_labels"]))
              if "scene_labels" in view.videos else None)
    vic = score_counts(gt, counts, interval=interval, labels=labels)
    missing = next(iter(vic.values())).missing
    if missing:
        warnings.warn(f"{len(missing)} video(s) of the split are missing from {path} and "
                      f"count as 0: {', '.join(missing[:5])}", VSCrowdWarning, stacklevel=2)
    doc = {"video_counting": {k: v.to_dict() for k, v in vic.items()}}
    text = json.dumps(doc, indent=2) + "\n"
    emit("\n".join(format_tracking(None, vic, fmt)).strip("\n"), text, json_out)


@click.command("track")
@PREDS_ARGUMENT
@DATA_OPTION
@split_option("Split whose frames order the tracks; 'all' for every video.")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Tracks file (.json or .jsonl): points with track IDs.")
@click.option("--gate", default=30.0, show_default=True, type=float,
              help="Largest distance (px) a head moves between frames.")
@click.option("--max-gap", default=3, show_default=True, type=click.IntRange(min=0),
              help="Frames a track may go unseen before it ends.")
@click.option("--min-length", default=3, show_default=True, type=click.IntRange(min=1),
              help="Tracks seen in fewer frames are dropped.")
@click.option("--score-threshold", default=0.5, show_default=True, type=float,
              help="Points below this score are not tracked.")
def track_cmd(preds, data, split, out, gate, max_gap, min_length, score_threshold):
    """Link per-frame head points into tracks (the baseline tracker; docs/metrics.md)."""
    from vscrowd.eval import read_predictions, write_predictions
    from vscrowd.methods.tracker import TrackerConfig, track_points

    ds = open_data(data, split=None if split == "all" else split)
    cfg = TrackerConfig(gate=gate, max_gap=max_gap, min_length=min_length,
                        score_threshold=score_threshold)
    with progress(len(ds.videos), "track") as bar:
        tracks = track_points(read_predictions(preds), ds, cfg,
                              progress=lambda _v: bar.update())
    write_predictions(tracks, out)
    n = len(set(zip(tracks.frames["video"].to_numpy()[tracks.frame_index],
                    tracks.track_ids.tolist())))
    click.echo(f"wrote {out}: {n} tracks, {len(tracks)} points")


@click.command("baseline")
@DATA_OPTION
@click.option("--split", default="test", show_default=True,
              help="Split to predict; 'all' predicts every frame.")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Prediction file (.json or .jsonl).")
def baseline_cmd(data, split, out):
    """A first prediction file without training: the training-free baseline (per-video
    median background, blob peaks of the difference). Needs frame images, not torch."""
    from vscrowd.eval import write_predictions
    from vscrowd.methods.baselines import background_blobs

    ds = open_data(data, split=None if split == "all" else split)
    with progress(len(ds.videos), "baseline") as bar:
        preds = background_blobs(ds, progress=lambda _v: bar.update())
    write_predictions(preds, out)
    click.echo(f"wrote {out}: {len(preds.frames)} frames, {len(preds)} points "
               "(background-blobs baseline)")


COMMANDS = [eval_cmd, baseline_cmd, track_cmd]
