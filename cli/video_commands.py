"""``vscrowd predict --video`` (the options), ``vscrowd render``, ``vscrowd report`` and
``vscrowd compare``."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from .common import DATASET_OPTION, progress


def video_options(f):
    """The options of ``predict --video``."""
    opts = [
        click.option("--every", default=1, show_default=True, type=click.IntRange(min=1),
                     help="With --video: predict every N-th frame."),
        click.option("--start", default=1, show_default=True, type=click.IntRange(min=1),
                     help="With --video: first frame (frames are numbered from 1)."),
        click.option("--end", default=None, type=click.IntRange(min=1),
                     help="With --video: last frame (inclusive; default: the end)."),
        click.option("--track", is_flag=True,
                     help="With --video: link points into tracks as they come (the tracker "
                          "of `vscrowd track`); points carry track IDs."),
        click.option("--counts", is_flag=True,
                     help="With --video: also write OUT.counts.csv (per-frame count, unique "
                          "people so far) and OUT.counts.json (for vscrowd eval)."),
        click.option("--name", default=None,
                     help="With --video: the video name of the records (default: file stem)."),
        click.option("--scale", default=1.0, show_default=True, type=float,
                     help="With --video and a model: resize frames by this factor first "
                          "(points are mapped back to source pixels)."),
    ]
    return functools.reduce(lambda g, o: o(g), reversed(opts), f)


def predict_video_command(model, video, out, threshold, score_floor, device, tile, every,
                          start, end, track, counts, name, scale) -> None:
    from vscrowd.video import predict_video

    if device == "auto":
        device = "cpu"
        if str(model) not in ("baseline", "background-blobs"):
            from vscrowd._optional import require_torch

            require_torch("vscrowd predict --video with a trained model")  # Ctrl-C held
            import torch

            device = "cuda" if torch.cuda.is_available() else "cpu"
    bar_cm = progress(None, "predict")
    with bar_cm as bar:
        bar.unit = "frame"

        def opened(src):
            total = src.frame_count
            if total is not None:
                last = min(total, end) if end else total
                bar.total = max(0, (last - start) // every + 1)

        res = predict_video(model, video, out, threshold=threshold, score_floor=score_floor,
                            every=every, start=start,
                            end=end, track=track, counts=counts, device=device, scale=scale,
                            tile=tile,
                            name=name, progress=lambda n: bar.update(n - bar.n),
                            on_open=opened)
    extra = f", {res.people} people (tracks of >= 3 frames)" if res.people is not None else ""
    click.echo(f"wrote {res.out}: {res.frames} frames, {res.points} points, "
               f"{res.method}{extra}")
    if res.counts:
        click.echo(f"wrote {res.counts} and {res.counts.with_suffix('.json')}")
    if res.stop is not None:
        s = res.stop
        exp = f" of {s.expected}" if s.expected else ""
        click.echo(f"warning: {s.reason} after frame {s.frame}{exp}; {res.out} holds the "
                   f"frames up to there", err=True)
    if res.interrupted:
        click.echo(f"interrupted: {res.out} holds the {res.frames} frames predicted so far",
                   err=True)
        sys.exit(130)


@click.command("render")
@click.option("--data", "data", envvar="VSCROWD_DATA", default=None,
              type=click.Path(path_type=Path), help="Dataset root (with --video).")
@click.option("--video", default=None, help="Dataset video to render, e.g. test_001.")
@click.option("--preds", type=click.Path(path_type=Path), default=None,
              help="Predictions to draw: a dataset prediction file (with --data/--video) "
                   "or the .jsonl of `vscrowd predict --video` (alone).")
@click.option("--no-gt", is_flag=True, help="Do not draw the ground truth.")
@click.option("--source", default=None,
              help="With a predict --video file: the video it came from (default: the "
                   "path in its header).")
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Output .mp4.")
@click.option("--sigma", default=20.0, show_default=True, type=float,
              help="σ (px) of the TP/FP/missed colours.")
@click.option("--trail", default=25, show_default=True, type=click.IntRange(min=0),
              help="Frames of track trails (predictions with track IDs).")
@click.option("--fps", default=None, type=float,
              help="Frame rate (default: the source's; 5 for dataset videos).")
@click.option("--codec", type=click.Choice(["auto", "h264", "mp4v"]), default="auto",
              show_default=True, help="h264 needs pip install 'vscrowd[video]'.")
@DATASET_OPTION
def render_cmd(data, video, preds, no_gt, source, out, sigma, trail, fps, codec, dataset):
    """Render an .mp4: frames with ground truth and/or predictions (TP/FP/missed when
    both), track trails with IDs, a live count and a count-over-time strip.

    With --data and --video and neither --preds nor ground truth (--no-gt): the plain
    frames (a clip to try `vscrowd predict --video` on)."""
    from vscrowd.video import render_prediction_file

    with progress(None, "render") as bar:
        bar.unit = "frame"
        tick = lambda n: bar.update(n - bar.n)  # noqa: E731
        if data is None and video is None:
            if preds is None:
                raise click.UsageError("give --data ROOT --video NAME, or --preds P.jsonl")
            res = render_prediction_file(preds, out, source=source, trail=trail,
                                         codec=codec, fps=fps, progress=tick)
        elif data is None or video is None:
            raise click.UsageError("--data and --video go together")
        else:
            res = _render_dataset(data, dataset, video, preds, no_gt, out, sigma, trail,
                                  fps, codec, tick)
    note = "" if res.codec == "h264" else (" (mp4v: browsers may not play it; pip install "
                                           "'vscrowd[video]' for H.264)")
    click.echo(f"wrote {res.out}: {res.frames} frames {res.size[0]}x{res.size[1]}, "
               f"{res.codec}{note}")


def _render_dataset(data, dataset, video, preds, no_gt, out, sigma, trail, fps, codec,
                    tick):
    from vscrowd.eval import read_predictions
    from vscrowd.video import render_dataset_video

    from .common import open_data

    ds = open_data(data, dataset=dataset)
    p = read_predictions(preds) if preds is not None else None
    return render_dataset_video(ds, video, out, p, gt=not no_gt, sigma=sigma, trail=trail,
                                codec=codec, fps=fps or 5.0, progress=tick)


_OVERWRITE = click.option("--overwrite", is_flag=True,
                          help="Replace an existing report folder (one vscrowd wrote).")


@click.command("report")
@click.argument("results", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Report folder (index.html); not inside the dataset root.")
@click.option("--preds", type=click.Path(path_type=Path), default=None,
              help="The predictions scored (adds curves, per-frame sections, worst frames).")
@click.option("--data", "data", envvar="VSCROWD_DATA", default=None,
              type=click.Path(path_type=Path), help="Dataset root (with --preds).")
@click.option("--split", default="test", show_default=True, help="Split scored ('all').")
@click.option("--name", default=None, help="Run name on the page (default: file stem).")
@_OVERWRITE
@DATASET_OPTION
def report_cmd(results, out, preds, data, split, name, overwrite, dataset):
    """One self-contained HTML page (opens offline) of a `vscrowd eval --json` file."""
    from vscrowd.report import report_from_files

    from .common import open_data

    if (preds is None) != (data is None):
        raise click.UsageError("--preds and --data go together")
    ds = open_data(data, dataset=dataset) if data is not None else None
    page = report_from_files(results, out, preds=preds, ds=ds, split=split, name=name,
                             overwrite=overwrite)
    click.echo(f"wrote {page}")


@click.command("compare")
@click.argument("results", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--out", type=click.Path(path_type=Path), default=None,
              help="Also write a report folder with the comparison page.")
@click.option("--name", "names", multiple=True,
              help="Run names, one per file in order (default: file stems).")
@_OVERWRITE
def compare_cmd(results, out, names, overwrite):
    """Several `vscrowd eval --json` runs side by side, differences from the first."""
    from vscrowd.report.compare import compare_runs, format_comparison, write_comparison

    cols, rows = compare_runs(results, names or None)
    click.echo(format_comparison(cols, rows))
    if out is not None:
        page = write_comparison(results, out, names=names or None, overwrite=overwrite)
        click.echo(f"wrote {page}", err=True)


COMMANDS = [render_cmd, report_cmd, compare_cmd]
