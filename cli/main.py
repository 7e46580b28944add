"""``vscrowd``: the click app. A thin shell over library functions.

Errors caused by input (:class:`vscrowd.VSCrowdError`) print one line and exit 2;
anything else is an internal error (exit 1). ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import logging
import sys
import warnings

import click

from vscrowd import __version__
from vscrowd.errors import VSCrowdError

from .common import print_warning


class _App(click.Group):
    def invoke(self, ctx: click.Context):
        debug = bool(ctx.params.get("debug"))
        with warnings.catch_warnings():
            warnings.simplefilter("default")
            warnings.showwarning = print_warning
            try:
                return super().invoke(ctx)
            except (click.exceptions.Exit, click.ClickException, click.Abort):
                raise
            except VSCrowdError as exc:
                if debug:
                    raise
                click.echo(f"error: {exc}", err=True)
                ctx.exit(2)
            except KeyboardInterrupt:
                click.echo("interrupted", err=True)
                ctx.exit(130)
            except Exception as exc:  # internal error: a bug, not bad input
                if debug:
                    raise
                click.echo(f"internal error: {type(exc).__name__}: {exc} "
                           "(run with --debug for the traceback)", err=True)
                ctx.exit(1)


@click.group(cls=_App, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vscrowd")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
def app(debug: bool) -> None:
    """Toolkit and benchmark evaluator for the VSCrowd crowd-localization dataset."""
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def _register() -> None:
    from . import data_commands, eval_commands, train_commands

    for mod in (data_commands, eval_commands, train_commands):
        for cmd in mod.COMMANDS:
            app.add_command(cmd)


_register()


def main() -> None:
    """Console-script entry point."""
    app(prog_name="vscrowd")


if __name__ == "__main__":
    main()
