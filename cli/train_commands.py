"""``vscrowd demo`` (and, with the torch extra, training commands)."""

from __future__ import annotations

from pathlib import Path

import click


@click.command("demo")
@click.option("--out", default="demo-out", show_default=True, type=click.Path(path_type=Path),
              help="Working folder (created; only files the demo writes are replaced).")
def demo_cmd(out):
    """The whole story on synthetic data: synthesize, stats, predict, evaluate, show."""
    from vscrowd.demo import run_demo

    run_demo(out, echo=click.echo)


COMMANDS = [demo_cmd]
