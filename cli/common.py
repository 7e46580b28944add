"""Helpers shared by the CLI commands: options, progress bars, output."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from vscrowd.errors import VSCrowdWarning

DATA_OPTION = click.option(
    "--data", "data", required=True, envvar="VSCROWD_DATA", show_envvar=True,
    type=click.Path(path_type=Path), help="Dataset root (ROOT/annotations, ROOT/videos).")
PREDS_ARGUMENT = click.argument("preds", type=click.Path(path_type=Path))


def split_option(help: str):
    """``--split`` (default ``test``; ``all`` for every frame) with a command's help."""
    return click.option("--split", default="test", show_default=True, help=help)


SPLITS_OPTION = click.option(
    "--splits", "splits_dir", type=click.Path(path_type=Path, file_okay=False), default=None,
    help="Folder of split lists train.txt/val.txt/test.txt (either naming; e.g. DRNet's "
         "SenseCrowd split) and, when there, its scene_label.txt.")
NAMES_OPTION = click.option(
    "--names", "names_csv", type=click.Path(path_type=Path), default=None,
    help="SenseCrowd->VSCrowd name map (vscrowd map-names) for split lists, scene labels "
         "and results in SenseCrowd names. Default: ROOT/names.csv when it exists.")


def split_sources(split_file: tuple[Path, ...], splits_dir: Path | None
                  ) -> tuple[list[Path], Path | None]:
    """(split list files, scene label file) from ``--split-file`` and ``--splits DIR``."""
    from vscrowd.datasets.splits import SCENE_LABEL_FILE, find_split_files

    files = list(split_file)
    labels = None
    if splits_dir is not None:
        found = find_split_files(splits_dir)
        if not found:
            raise click.BadParameter(f"no train.txt, val.txt or test.txt in {splits_dir}",
                                     param_hint="--splits")
        files += found
        if (splits_dir / SCENE_LABEL_FILE).is_file():
            labels = splits_dir / SCENE_LABEL_FILE
    return files, labels


def read_names(names_csv: Path | None) -> dict[str, str] | None:
    """The name map of ``--names`` (None: the dataset's own, ROOT/names.csv)."""
    if names_csv is None:
        return None
    from vscrowd.datasets.namemap import read_name_map

    return read_name_map(names_csv)


FORMAT_OPTION = click.option(
    "--format", "fmt", type=click.Choice(["table", "markdown", "csv"]), default="table",
    show_default=True, help="How to print tables.")


def print_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """One line per warning on stderr, without source location for our own warnings."""
    if issubclass(category, VSCrowdWarning):
        click.echo(f"warning: {message}", err=True)
    else:
        click.echo(warnings.formatwarning(message, category, filename, lineno, line).rstrip(),
                   err=True)


@contextmanager
def progress(total: int | None, desc: str) -> Iterator:
    """A tqdm bar on stderr, shown only when stderr is a terminal."""
    from tqdm import tqdm

    bar = tqdm(total=total, desc=desc, file=sys.stderr, leave=False,
               disable=not sys.stderr.isatty(), unit="step")
    try:
        yield bar
    finally:
        bar.close()


DATASET_OPTION = click.option(
    "--dataset", "dataset", default=None, envvar="VSCROWD_DATASET",
    help="Registered dataset (vscrowd datasets) when the folder layout is ambiguous; "
         "default: detected from the layout.")


def open_data(root: Path, split_file: tuple[Path, ...] | list[Path] = (),
              no_cache: bool = False, split: str | None = None,
              names: dict[str, str] | None = None, scene_labels: Path | None = None,
              dataset: str | None = None):
    """Open a dataset root for a command (optionally one split of it); ``names`` maps
    other video names (SenseCrowd's) in split files and scene labels to the root's. A
    root in another dataset's own layout (NWPU-Crowd, ShanghaiTech, ...) opens through
    the registry."""
    from vscrowd.datasets.registry import is_other_layout
    from vscrowd.datasets.registry import open as open_registered
    from vscrowd.datasets.vscrowd import VSCrowd

    if is_other_layout(root, dataset):
        ds = open_registered(root, dataset, cache=not no_cache)
    else:
        ds = VSCrowd(root, split_files=list(split_file) if split_file else "auto",
                     cache=not no_cache, names=names, scene_labels=scene_labels)
    return ds.select(split=split) if split else ds


def parse_size(text: str, what: str = "size") -> tuple[int, int]:
    """``"WxH"`` -> (W, H) with a clear error."""
    try:
        a, b = text.lower().split("x")
        return int(a), int(b)
    except ValueError as exc:
        raise click.BadParameter(f"expected {what} as WxH (e.g. 480x270), got {text!r}") from exc


def emit(table: str, json_text: str, json_out: str | None) -> None:
    """The one output rule of the reporting commands: ``--json -`` prints only the JSON;
    otherwise the table goes to stdout and ``--json FILE`` is written atomically."""
    if json_out == "-":
        sys.stdout.write(json_text if json_text.endswith("\n") else json_text + "\n")
        return
    click.echo(table)
    if json_out:
        from vscrowd._io import atomic_write_text

        atomic_write_text(json_out, json_text if json_text.endswith("\n") else json_text + "\n")
        click.echo(f"wrote {json_out}", err=True)
