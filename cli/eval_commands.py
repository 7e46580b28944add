"""``vscrowd eval``."""

from __future__ import annotations

from pathlib import Path

import click

from vscrowd.datasets.splits import ALL_SPLITS
from vscrowd.eval.families import DEFAULT_METRICS, DEFAULT_SIGMAS, FAMILIES, METRICS
from vscrowd.eval.tuning import DEFAULT_THREADS

from .common import (
    DATA_OPTION,
    DATASET_OPTION,
    FORMAT_OPTION,
    NAMES_OPTION,
    PREDS_ARGUMENT,
    SPLITS_OPTION,
    emit,
    open_data,
    progress,
    read_names,
    split_option,
    split_sources,
)


@click.command("eval")
@PREDS_ARGUMENT
@click.option("--data", "data", default=None, envvar="VSCROWD_DATA", show_envvar=True,
              type=click.Path(path_type=Path),
              help="Dataset root (ROOT/annotations, ROOT/videos). Not needed for a DRNet "
                   "[pred, gt] array, which carries its own ground truth.")
@split_option("Split to score; 'all' scores every frame. For a DRNet array: the list "
              "that orders its rows.")
@click.option("--split-file", multiple=True, type=click.Path(path_type=Path),
              help="Split list file(s) (SenseCrowd style); the split is the file stem.")
@SPLITS_OPTION
@click.option("--labels", "labels_file", type=click.Path(path_type=Path, dir_okay=False,
                                                         exists=True),
              default=None, help="Scene labels (scene_label.txt, either naming) for the "
                                 "video-counting breakdowns.")
@click.option("--sigma", "sigmas", multiple=True, type=float,
              help="Positive range σ in px (repeatable). Default: 5, 20, 40.")
@click.option("--metric", "metrics", multiple=True, type=click.Choice(METRICS),
              help="Add a metric family to the defaults (sigma, count); repeatable. "
                   + "; ".join(f"{f.name}: {f.summary}" for f in FAMILIES.values()
                               if f.selectable) + ".")
@click.option("--count-threshold", default=0.5, show_default=True, type=float,
              help="Points with score >= this count towards MAE/RMSE.")
@click.option("--json", "json_out", type=str, default=None,
              help="Write results as JSON to this file, or '-' for stdout.")
@FORMAT_OPTION
@click.option("--layout", type=click.Choice(["vscrowd", "drnet"]), default="vscrowd",
              show_default=True, help="drnet: video-counting groups as DRNet prints them.")
@click.option("--plot-dir", type=click.Path(path_type=Path), default=None,
              help="Write precision-recall curves (PNG) here.")
@click.option("--bootstrap", default=0, show_default=True, type=int,
              help="Bootstrap resamples of whole videos for 95% intervals.")
@click.option("--seed", default=0, show_default=True, type=int, help="Bootstrap seed.")
@click.option("--ignore-unknown", is_flag=True,
              help="Drop predicted frames that are not in the split instead of failing.")
@click.option("--no-cache", is_flag=True, help="Do not read/write the annotation cache.")
@NAMES_OPTION
@click.option("--track-sigma", default=20.0, show_default=True, type=float,
              help="σ (px) of the point similarity of the tracking metrics.")
@click.option("--vic-interval", default=15, show_default=True, type=click.IntRange(min=1),
              help="Frame interval of the drnet video-counting protocol.")
@click.option("--threads", default=DEFAULT_THREADS, show_default=True,
              type=click.IntRange(min=1),
              help="Threads sharing the evaluation (1: none started); numbers never change.")
@click.option("--report", "report_dir", type=click.Path(path_type=Path), default=None,
              help="Also write an HTML report folder (index.html; opens offline).")
@click.option("--overwrite", is_flag=True, help="With --report: replace an earlier report.")
@DATASET_OPTION
def eval_cmd(preds, data, split, split_file, splits_dir, labels_file, sigmas, metrics,
             count_threshold, json_out, fmt, layout, plot_dir, bootstrap, seed,
             ignore_unknown, no_cache, names_csv, track_sigma, vic_interval, threads,
             report_dir, overwrite, dataset):
    """Score a prediction file (JSON, JSONL or TXT folder) against the ground truth, or
    a video-counting results file (DRNet .npy, CGNet/OMAN JSON, vscrowd counts).

    --data may also be NWPU-Crowd's val_gt_loc.txt (predictions: 'id num x y ...'
    lines); the box family then scores the official P/R/F1 at sigma_s and sigma_l.

    Prints the paper's table (rows σ; AP.50 AP.75 mAP AR.50 AR.75 mAR) and MAE/RMSE.
    Exit codes: 0 success, 2 bad input, 1 internal error.
    """
    from vscrowd._io import refuse_inputs
    from vscrowd.eval import evaluate, read_predictions
    from vscrowd.eval.vic_files import score_results_file, sniff_results_file

    for out, option in ((json_out if json_out != "-" else None, "--json"),
                        (plot_dir, "--plot-dir")):
        if out is not None:  # checked before the work: the inputs stay as they are
            refuse_inputs(out, preds, data, *split_file, splits_dir, labels_file,
                          option=option)
    names = read_names(names_csv)
    files, dir_labels = split_sources(split_file, splits_dir)
    labels_file = labels_file or dir_labels
    if sniff_results_file(preds) != "points":
        if report_dir is not None:
            raise click.UsageError("--report needs point predictions; a counts file has "
                                   "only the video-counting table")
        ds = (open_data(data, files, no_cache, names=names, scene_labels=labels_file,
                        dataset=dataset) if data is not None else None)
        report = score_results_file(preds, data=ds, split=split, split_files=files,
                                    labels_file=labels_file, names=names,
                                    interval=vic_interval)
        emit(report.format(fmt, layout), report.to_json(), json_out)
        return
    if data is None:
        raise click.UsageError("--data ROOT is required to score point predictions")
    if data.is_file():  # NWPU-Crowd's val_gt_loc.txt: its own per-head radii, scored by box
        from vscrowd.eval.loc_files import read_loc_groundtruth

        _check_loc_options(split, dataset)
        ds, metrics = read_loc_groundtruth(data), (*metrics, "box")
    else:
        ds = open_data(data, files, no_cache, names=names, scene_labels=labels_file,
                       dataset=dataset)
    predictions = read_predictions(preds)
    if getattr(ds, "name_map", None):
        predictions = predictions.rename_videos(ds.name_map)
    if getattr(ds, "is_video", True) is False and split != ALL_SPLITS:
        # Leaderboard files (`id num x y ...`) name images only: they are the split's.
        predictions = predictions.rename_videos({"": split})
    if predictions.track_id is not None:
        metrics = (*metrics, "track")  # the points carry track IDs: score the tracks too
    metrics = tuple(dict.fromkeys((*DEFAULT_METRICS, *metrics)))  # defaults + additions
    sig = sigmas or DEFAULT_SIGMAS
    stages = len(sig) + len(metrics)
    with progress(stages, "eval") as bar:
        result = evaluate(ds, predictions, sigmas=sig, metrics=metrics,
                          split=split,
                          track_sigma=track_sigma, vic_interval=vic_interval,
                          count_threshold=count_threshold, ignore_unknown=ignore_unknown,
                          bootstrap=bootstrap, seed=seed, threads=threads,
                          progress=lambda _s: bar.update())
    emit(result.format(fmt, layout), result.to_json(), json_out)
    if plot_dir is not None:
        for p in result.plot(plot_dir):
            click.echo(f"wrote {p}", err=True)
    if report_dir is not None:
        from vscrowd.report import report_from_result

        page = report_from_result(result, ds.select(split=split),
                                  predictions, report_dir, name=preds.stem,
                                  overwrite=overwrite)
        click.echo(f"wrote {page}", err=True)


def _check_loc_options(split: str, dataset: str | None) -> None:
    """``--split``/``--dataset`` that a ``val_gt_loc.txt`` ground truth cannot honour
    (they were ignored: ``--split test`` scored the val images)."""
    if dataset not in (None, "nwpu"):
        raise click.UsageError(f"--dataset {dataset} (or VSCROWD_DATASET): a ground-truth "
                               "file is NWPU-Crowd's val_gt_loc.txt (--dataset nwpu or none)")
    given = click.get_current_context().get_parameter_source("split")
    if given is not click.core.ParameterSource.DEFAULT and split not in ("val", ALL_SPLITS):
        raise click.UsageError(f"--split {split}: val_gt_loc.txt holds NWPU-Crowd's val "
                               f"images only (--split val or {ALL_SPLITS})")


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
@click.option("--split-file", multiple=True, type=click.Path(path_type=Path),
              help="Split list file(s); the split is the file stem.")
@SPLITS_OPTION
@NAMES_OPTION
@DATASET_OPTION
def track_cmd(preds, data, split, out, gate, max_gap, min_length, score_threshold,
              split_file, splits_dir, names_csv, dataset):
    """Link per-frame head points into tracks (the baseline tracker; docs/metrics.md)."""
    from vscrowd.eval import read_predictions, write_predictions
    from vscrowd.methods.tracker import TrackerConfig, track_points

    files, _labels = split_sources(split_file, splits_dir)
    ds = open_data(data, files, split=split, names=read_names(names_csv), dataset=dataset)
    cfg = TrackerConfig(gate=gate, max_gap=max_gap, min_length=min_length,
                        score_threshold=score_threshold)
    with progress(len(ds.videos), "track") as bar:
        points = read_predictions(preds)
        if ds.name_map:
            points = points.rename_videos(ds.name_map)
        tracks = track_points(points, ds, cfg, progress=lambda _v: bar.update())
    write_predictions(tracks, out)
    n = len(set(zip(tracks.frames["video"].to_numpy()[tracks.frame_index],
                    tracks.track_id.tolist())))
    click.echo(f"wrote {out}: {n} tracks, {len(tracks)} points")


@click.command("baseline")
@DATA_OPTION
@click.option("--split", default="test", show_default=True,
              help="Split to predict; 'all' predicts every frame.")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Prediction file (.json or .jsonl).")
@DATASET_OPTION
def baseline_cmd(data, split, out, dataset):
    """A first prediction file without training: the training-free baseline (per-video
    median background, blob peaks of the difference). Needs frame images, not torch."""
    from vscrowd.eval import write_predictions
    from vscrowd.methods.baselines import background_blobs

    ds = open_data(data, split=split, dataset=dataset)
    with progress(len(ds.videos), "baseline") as bar:
        preds = background_blobs(ds, progress=lambda _v: bar.update())
    write_predictions(preds, out)
    click.echo(f"wrote {out}: {len(preds.frames)} frames, {len(preds)} points "
               "(background-blobs baseline)")


COMMANDS = [eval_cmd, baseline_cmd, track_cmd]
