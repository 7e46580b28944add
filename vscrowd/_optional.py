"""Optional dependencies: one clear error with the install hint, and imports that a
Ctrl-C cannot abort.

A SIGINT that lands while a native extension initialises can kill the process instead
of raising KeyboardInterrupt: Python runs its handler at the next bytecode, which may be
inside a callback the extension's C++ code cannot let an exception through, and the
C++ runtime aborts -- with torch, ``terminate called after throwing an instance of
'pybind11::error_already_set' / what(): KeyboardInterrupt`` and exit status -6, once in
150 interrupts during ``import torch`` on the project machine (none in 150 with
:func:`interrupts_deferred`). So the optional (native) dependencies are imported with
SIGINT and SIGTERM held until the import is done; the interrupt then takes effect as
it would have, at a safe point.
"""

from __future__ import annotations

import importlib
import importlib.util
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType

from .errors import MissingDependencyError

__all__ = ["installed", "interrupts_deferred", "optional_module", "require_module",
           "require_torch"]

#: The signals held by :func:`interrupts_deferred`: Ctrl-C and a scheduler's stop.
_DEFERRED = tuple(s for s in (getattr(signal, "SIGINT", None), getattr(signal, "SIGTERM", None))
                  if s is not None)


@contextmanager
def interrupts_deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM for the block: a signal received inside it is handled
    when it ends, by the handler that was in place (Ctrl-C's KeyboardInterrupt, the
    CLI's SIGTERM handler, or the default action), once per signal. Outside the main
    thread (where Python runs signal handlers and only it may set them) it does
    nothing.

    >>> import os, signal
    >>> try:
    ...     with interrupts_deferred():
    ...         os.kill(os.getpid(), signal.SIGINT)
    ...         print("the block finished")
    ... except KeyboardInterrupt:
    ...     print("then the interrupt")
    the block finished
    then the interrupt
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    got: list[int] = []

    def hold(signum, _frame) -> None:
        if signum not in got:
            got.append(signum)

    # A handler not set from Python (None) cannot be put back: that signal is not held.
    held = {s: h for s in _DEFERRED if (h := signal.getsignal(s)) is not None}
    for s in held:
        signal.signal(s, hold)
    try:
        yield
    finally:
        for s, h in held.items():
            signal.signal(s, h)
        for s in got:
            _deliver(s, held[s])


def _deliver(signum: int, handler) -> None:
    """Act on ``signum`` as ``handler`` (what was in place) would have."""
    if callable(handler):
        handler(signum, None)
    elif handler == signal.SIG_DFL:
        signal.raise_signal(signum)  # the default action (the handler is back in place)


def installed(module: str) -> bool:
    """Whether ``module`` can be imported here (without importing it).

    >>> installed("json"), installed("no_such_module_here")
    (True, False)
    """
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or a broken install
        return False


def optional_module(module: str) -> ModuleType | None:
    """The module when it is installed and imports, else None (features that degrade
    gracefully: TensorBoard logging, the Triton kernel)."""
    if not installed(module):
        return None
    try:
        with interrupts_deferred():
            return importlib.import_module(module)
    except ImportError:
        return None


def require_module(module: str, feature: str, extra: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming the extra.

    >>> require_module("json", "parsing", "core").__name__
    'json'
    """
    if not installed(module):
        raise MissingDependencyError(
            f"{feature} needs {module}, which is not installed; install it with "
            f"pip install 'vscrowd[{extra}]'")
    with interrupts_deferred():
        return importlib.import_module(module)


def require_torch(feature: str) -> None:
    """Import torch (Ctrl-C held until it is done; see the module's notes), or raise
    :class:`MissingDependencyError` if it is not installed."""
    if not installed("torch"):
        raise MissingDependencyError(
            f"{feature} needs PyTorch, which is not installed; install it with "
            "pip install 'vscrowd[torch]'")
    with interrupts_deferred():
        importlib.import_module("torch")
