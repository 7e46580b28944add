"""``vscrowd synth | stats | plot | show | convert``."""

from __future__ import annotations

from pathlib import Path

import click

from vscrowd.choices import OVERLAY_MAX_SIDE

from .common import (
    DATASET_OPTION,
    FORMAT_OPTION,
    NAMES_OPTION,
    SPLITS_OPTION,
    emit,
    open_data,
    parse_size,
    progress,
    read_names,
    split_sources,
)

_ROOT = click.argument("root", type=click.Path(path_type=Path))
_SPLIT_FILE = click.option("--split-file", multiple=True, type=click.Path(path_type=Path),
                           help="Split list file(s); the split is the file stem.")
_NO_CACHE = click.option("--no-cache", is_flag=True, help="Bypass the annotation cache.")
#: Registered datasets that ``synth --flavour`` writes in their own format (kept here,
#: light, so --help loads no dataset module; tests/datasets check it against the registry).
REGISTRY_FLAVOURS = ("dronecrowd", "fdst", "jhu", "mall", "nwpu", "qnrf", "shanghaitech_a",
                     "shanghaitech_b", "ucsd", "venice")


@click.command("synth")
@click.argument("out", type=click.Path(path_type=Path))
@click.option("--videos", default=6, show_default=True, type=int, help="Number of videos.")
@click.option("--frames", default=12, show_default=True, type=int, help="Frames per video.")
@click.option("--size", default="480x270", show_default=True, help="Frame size WxH.")
@click.option("--seed", default=0, show_default=True, type=int)
@click.option("--train-fraction", default=0.75, show_default=True, type=float)
@click.option("--density", default=1.0, show_default=True, type=float,
              help="Multiplies the number of people per video.")
@click.option("--no-images", is_flag=True, help="Write annotations only.")
@click.option("--flavour", type=click.Choice(["vscrowd", "sensecrowd", *REGISTRY_FLAVOURS]),
              default="vscrowd", show_default=True,
              help="sensecrowd: the same videos in SenseCrowd's layout, names and label "
              "files (frames unless --no-images); synth.json holds the name map. Another "
              "dataset's name: a small copy in that dataset's own layout and format "
              "(--seed; other sizes fixed).")
@click.option("--overwrite", is_flag=True,
              help="Allow a non-empty OUT (only files a previous synth wrote are replaced).")
def synth_cmd(out, videos, frames, size, seed, train_fraction, density, no_images, flavour,
              overwrite):
    """Write a seeded synthetic VSCrowd dataset in the official layout to OUT."""
    from vscrowd.synth.generator import synthesize

    w, h = parse_size(size)
    if flavour in REGISTRY_FLAVOURS:
        from vscrowd.datasets.registry import dataset_info

        info = dataset_info(flavour)
        info.synth(out, seed=seed, overwrite=overwrite)
        click.echo(f"wrote a synthetic {info.title} in its own format to {out}")
        return
    if flavour == "sensecrowd":
        from vscrowd.synth.sensecrowd import synthesize_sensecrowd

        synthesize_sensecrowd(out, videos=videos, frames=frames, size=(w, h), seed=seed,
                              train_fraction=train_fraction, overwrite=overwrite,
                              density=density, images=not no_images)
        click.echo(f"wrote {videos} SenseCrowd-flavoured videos x {frames} frames to {out}")
        return
    with progress(max(videos, 1), "synth") as bar:
        synthesize(out, videos=videos, frames=frames, size=(w, h), seed=seed,
                   train_fraction=train_fraction, overwrite=overwrite, density=density,
                   images=not no_images, progress=lambda _v: bar.update())
    click.echo(f"wrote {videos} videos x {frames} frames ({w}x{h}) to {out}")


@click.command("stats")
@_ROOT
@click.option("--split", default=None, help="Only this split.")
@click.option("--per-video", is_flag=True, help="Also print the per-video table.")
@click.option("--json", "json_out", default=None, help="Write JSON to a file or '-'.")
@FORMAT_OPTION
@_SPLIT_FILE
@SPLITS_OPTION
@NAMES_OPTION
@_NO_CACHE
@DATASET_OPTION
def stats_cmd(root, split, per_video, json_out, fmt, split_file, splits_dir, names_csv,
              no_cache, dataset):
    """Print the paper's Table I for each split (and overall)."""
    import json

    from vscrowd.viz import stats

    files, labels = split_sources(split_file, splits_dir)
    ds = open_data(root, files, no_cache, split, names=read_names(names_csv),
                   scene_labels=labels, dataset=dataset)
    table = stats.summary(ds)
    videos = stats.per_video(ds) if per_video else None
    doc = {"summary": json.loads(table.to_json(orient="records"))}
    if videos is not None:
        doc["per_video"] = json.loads(videos.to_json(orient="records"))
    text = stats.format_table(table, fmt)
    if videos is not None:
        text += "\n\n" + stats.format_table(videos, fmt)
    emit(text, json.dumps(doc, indent=2), json_out)


@click.command("plot")
@_ROOT
@click.option("--out", required=True, type=click.Path(path_type=Path), help="Output folder.")
@click.option("--format", "fmt", type=click.Choice(["png", "svg", "pdf"]), default="png",
              show_default=True)
@click.option("--video", default=None, help="Video for the density heat map (default all).")
@click.option("--split", default=None, help="Only this split.")
@click.option("--preds", type=click.Path(path_type=Path), default=None,
              help="Tracks file (points with track IDs): adds predicted count curves.")
@_SPLIT_FILE
@_NO_CACHE
@DATASET_OPTION
def plot_cmd(root, out, fmt, video, split, preds, split_file, no_cache, dataset):
    """Write the dataset figures (Fig. 2 distributions, perspective, tracks, density)."""
    from vscrowd.eval import read_predictions
    from vscrowd.viz.plots import plot_all

    ds = open_data(root, split_file, no_cache, split, dataset=dataset)
    tracks = read_predictions(preds) if preds else None
    if tracks is not None:
        ds = ds.select(videos=sorted(set(tracks.frames["video"]) & set(ds.videos["video"])))
    for p in plot_all(ds, out, fmt=fmt, video=video, preds=tracks):
        click.echo(f"wrote {p}")


@click.command("show")
@_ROOT
@click.option("--video", required=True, help="Video name, e.g. test_001.")
@click.option("--frame", default=None, help="FrameID; omit with a .mp4/.gif --out for a clip.")
@click.option("--preds", type=click.Path(path_type=Path), default=None,
              help="Prediction file: colour TP / FP / missed heads.")
@click.option("--sigma", default=20.0, show_default=True, type=float,
              help="σ (px) of the matching at t = 0.5.")
@click.option("--boxes", is_flag=True, help="Draw head-shoulder boxes.")
@click.option("--ids", is_flag=True, help="Draw track IDs.")
@click.option("--tracks", default=0, type=click.IntRange(min=0),
              help="With predictions that carry track IDs: draw each track's last K frames.")
@click.option("--out", required=True, type=click.Path(path_type=Path),
              help="Output .png/.jpg (frame) or .mp4/.gif (clip).")
@click.option("--max-side", default=OVERLAY_MAX_SIDE, show_default=True, type=click.IntRange(min=0),
              help="Draw frames larger than this (px, longer side) downsampled; 0: full size.")
@_NO_CACHE
@DATASET_OPTION
def show_cmd(root, video, frame, preds, sigma, boxes, ids, tracks, out, max_side, no_cache,
             dataset):
    """Draw ground truth (and predictions) on a frame or a short clip."""
    from vscrowd.errors import ConfigError
    from vscrowd.eval import read_predictions
    from vscrowd.viz.show import write_clip, write_overlay

    ds = open_data(root, (), no_cache, dataset=dataset)
    p = read_predictions(preds) if preds else None
    kw = {"sigma": sigma, "boxes": boxes, "ids": ids, "tracks": tracks, "max_side": max_side}
    if out.suffix in (".mp4", ".gif"):
        write_clip(ds, video, out, p, **kw)
        click.echo(f"wrote {out}")
        return
    if frame is None:
        raise ConfigError("expected --frame for an image output (or a .mp4/.gif --out)")
    ov = write_overlay(ds, video, frame, out, p, **kw)
    counts = (f"GT {ov.gt}" if ov.tp is None
              else f"GT {ov.gt}, TP {ov.tp}, FP {ov.fp}, missed {ov.missed}")
    click.echo(f"wrote {out} ({counts})")


@click.command("convert")
@_ROOT
@click.option("--to", "to", required=True, type=click.Choice(["coco", "yolo", "parquet"]))
@click.argument("out", type=click.Path(path_type=Path))
@_SPLIT_FILE
@click.option("--split", default=None, help="Only this split.")
@_NO_CACHE
@DATASET_OPTION
def convert_cmd(root, to, out, split_file, split, no_cache, dataset):
    """Convert annotations to COCO JSON (file), YOLO labels or Parquet (folders)."""
    from vscrowd.datasets.convert import convert

    ds = open_data(root, split_file, no_cache, split, dataset=dataset)
    convert(ds, to, out)
    click.echo(f"wrote {out} ({len(ds.heads)} heads, {len(ds.frames)} frames)")


@click.command("verify")
@_ROOT
@click.option("--reference", type=click.Choice(["auto", "paper", "synth"]), default="auto",
              show_default=True,
              help="Expected counts: the paper's, or synth.json's (auto: synth.json if present).")
@click.option("--json", "json_out", default=None, help="Write the report as JSON to a file or '-'.")
@NAMES_OPTION
@DATASET_OPTION
def verify_cmd(root, reference, json_out, names_csv, dataset):
    """Check a copy of VSCrowd: complete (the paper's counts) and self-consistent.

    Exit status: 0 complete, 1 not complete (the table says why), 2 bad input."""
    import json

    from vscrowd.acquire.verify import verify
    from vscrowd.datasets.registry import is_other_layout

    if is_other_layout(root, dataset):
        from vscrowd.acquire.dataset_checks import verify_dataset

        report = verify_dataset(root, dataset, reference=reference)  # its own layout
    else:
        with progress(None, "verify") as bar:
            report = verify(root, reference=reference, progress=lambda _v: bar.update(),
                            names_map=read_names(names_csv))
    text = json.dumps(report.to_dict(), indent=2) + "\n"
    emit(report.format(), text, json_out)
    if not report.complete:
        raise SystemExit(1)


@click.command("download")
@_ROOT
@click.option("--from", "from_dir", type=click.Path(path_type=Path), default=None,
              help="Assemble files downloaded by hand from this folder instead of the Hub.")
@click.option("--repo", default="HopLeeTop/VSCrowd", show_default=True,
              help="Hugging Face dataset repository.")
@click.option("--revision", default=None, help="Branch, tag or commit (default: main).")
@click.option("--parts", type=click.Choice(["annotations", "frames", "all"]), default="all",
              show_default=True, help="annotations: the ground truth only (megabytes).")
@click.option("--force", is_flag=True,
              help="Replace files in ROOT that exist with other content.")
@click.option("--reference", type=click.Choice(["auto", "paper", "synth"]), default="auto",
              show_default=True, help="Expected counts for the final check (auto: the "
              "paper's; a downloaded synth.json is used only with 'synth').")
@click.option("--follow-links", is_flag=True,
              help="Follow links in the --from folder that point outside it.")
@click.option("--max-ratio", type=click.FloatRange(min=1), default=200.0, show_default=True,
              help="How many times its size a compressed archive may expand to.")
@click.option("--verbose", is_flag=True, help="List every entry that was not placed.")
@click.option("--dataset", default=None, help="Another registered dataset (vscrowd "
              "datasets): its archives as published, with --from.")
def download_cmd(root, from_dir, repo, revision, parts, force, reference, follow_links,
                 max_ratio, verbose, dataset):
    """Get VSCrowd (or, with --dataset, another registered dataset) into ROOT in the
    official layout, then verify it (see docs/getting-data.md).

    Exit status: 0 the copy verifies, 1 it does not (the table says why), 2 bad input."""
    from vscrowd.acquire.download import download, download_summary

    bars = {}

    def step(stage: str, name: str) -> None:
        if stage not in bars:
            bars[stage] = 0
        bars[stage] += 1
        click.echo(f"{stage}: {name}", err=True)

    res = download(root, source=from_dir if from_dir else "hf", repo=repo, revision=revision,
                   parts=parts, force=force, progress=step, reference=reference,
                   follow_links=follow_links, max_ratio=max_ratio, dataset=dataset)
    for line, err in download_summary(res, verbose):
        click.echo(line, err=err)
    click.echo(res.report.format())
    if not res.report.complete:
        raise SystemExit(1)


@click.command("map-names")
@click.argument("vscrowd_root", type=click.Path(path_type=Path))
@click.argument("sensecrowd_root", type=click.Path(path_type=Path))
@click.option("--out", required=True, type=click.Path(path_type=Path), help="CSV to write.")
@click.option("--tolerance", default=1.0, show_default=True, type=float,
              help="Largest coordinate difference (px) of the same head in both releases.")
def map_names_cmd(vscrowd_root, sensecrowd_root, out, tolerance):
    """Match SenseCrowd video names to VSCrowd's by annotation content; write a CSV of
    vscrowd_video,sensecrowd_video,frames,heads,match_quality.

    Exit status: 0 written; 1 fewer than half the videos match (nothing written)."""
    from vscrowd.datasets.namemap import map_names, write_name_map

    result = map_names(vscrowd_root, sensecrowd_root, tolerance=tolerance)
    for name in result.ambiguous:
        click.echo(f"warning: ambiguous (several VSCrowd videos fit): {name}", err=True)
    for name in result.unmatched:
        click.echo(f"warning: no VSCrowd match: {name}", err=True)
    if len(result.rows) * 2 < result.sensecrowd_videos:
        click.echo(f"only {len(result.rows)} of {result.sensecrowd_videos} SenseCrowd videos "
                   "match; no map written", err=True)
        raise SystemExit(1)
    write_name_map(result, out)
    click.echo(f"wrote {out}: {len(result.rows)} of {result.sensecrowd_videos} videos "
               f"matched, {len(result.ambiguous)} ambiguous, {len(result.unmatched)} "
               "unmatched")


COMMANDS = [synth_cmd, stats_cmd, plot_cmd, show_cmd, convert_cmd, verify_cmd, download_cmd,
            map_names_cmd]
