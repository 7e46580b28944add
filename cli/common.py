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


def open_data(root: Path, split_file: tuple[Path, ...] = (), no_cache: bool = False,
              split: str | None = None, names: dict[str, str] | None = None):
    """Open a dataset root for a command (optionally one split of it); ``names`` maps
    other video names (SenseCrowd's) in split files to the root's."""
    from vscrowd.datasets.vscrowd import VSCrowd

    ds = VSCrowd(root, split_files=list(split_file) if split_file else "auto",
                 cache=not no_cache, names=names)
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
