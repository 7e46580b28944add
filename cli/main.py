"""``vscrowd``: the click app. A thin shell over library functions.

Exit status: 0 success; 2 bad input or arguments (:class:`vscrowd.VSCrowdError` or a
usage error: one ``error:`` line on stderr); 1 an internal error (a bug); 130 interrupted
(Ctrl-C or SIGTERM). ``--debug`` adds tracebacks and debug logging; it never changes the
exit status.
"""

from __future__ import annotations

import logging
import signal
import sys
import traceback
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
            except (click.exceptions.Exit, click.Abort):
                raise
            except click.ClickException as exc:  # bad arguments: one line, like bad input
                sub = f"{exc.ctx.info_name}: " if getattr(exc, "ctx", None) and \
                    exc.ctx.info_name != ctx.info_name else ""
                click.echo(f"error: {sub}{exc.format_message()} (see --help)", err=True)
                ctx.exit(exc.exit_code)
            except VSCrowdError as exc:
                if debug:
                    traceback.print_exc()
                click.echo(f"error: {exc}", err=True)
                ctx.exit(2)
            except KeyboardInterrupt:
                click.echo("interrupted", err=True)
                ctx.exit(130)
            except Exception as exc:  # internal error: a bug, not bad input
                if _caused_by_interrupt(exc):  # e.g. Ctrl-C inside a class body
                    click.echo("interrupted", err=True)
                    ctx.exit(130)
                if debug:
                    traceback.print_exc()
                click.echo(f"internal error: {type(exc).__name__}: {exc} "
                           "(run with --debug for the traceback)", err=True)
                ctx.exit(1)


def _caused_by_interrupt(exc: BaseException) -> bool:
    """Whether a KeyboardInterrupt is behind ``exc``: Python wraps one raised where it
    runs code on a library's behalf (a Ctrl-C while matplotlib's classes are created
    during its import ends as "RuntimeError: Error calling __set_name__ ...", seen once
    in 120 interrupts of that import here); that is an interruption, not a bug."""
    seen = set()
    while exc is not None and id(exc) not in seen:
        if isinstance(exc, KeyboardInterrupt):
            return True
        seen.add(id(exc))
        exc = exc.__cause__ or exc.__context__
    return False


@click.group(cls=_App, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="vscrowd")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logging.")
def app(debug: bool) -> None:
    """Toolkit and benchmark evaluator for the VSCrowd crowd-localization dataset."""
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING,
                        format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr)


def _register() -> None:
    from . import data_commands, dataset_commands, eval_commands, train_commands, video_commands

    for mod in (data_commands, dataset_commands, eval_commands, train_commands, video_commands):
        for cmd in mod.COMMANDS:
            app.add_command(cmd)


_register()


def _terminate(signum, frame) -> None:
    # SIGTERM (a scheduler's preemption, `kill`) unwinds like Ctrl-C: temporary files are
    # removed, atomic outputs keep their previous content, training saves last.pt.
    raise KeyboardInterrupt


def main() -> None:
    """Console-script entry point."""
    signal.signal(signal.SIGTERM, _terminate)
    app(prog_name="vscrowd")


if __name__ == "__main__":
    main()
