"""A function over many independent items, in forked worker processes where that is
safe and worth it (Linux, several CPUs, only the main thread running, many items).

Why processes: the per-frame-file datasets (FDST: 15,000 JSON files of ~26 heads) are
read in pure Python at ~25-50 us a file -- system calls, msgspec's decode and the
rectangles into arrays -- and the decode holds the GIL, so threads do not overlap it.
Why ``fork``: a child starts in about a millisecond with everything imported; a spawned
interpreter would import numpy again (~0.2 s, the time of the whole read). The standard
library's pools were not used: ``multiprocessing.Pool`` starts helper threads in the
parent and is known to hang on Ctrl-C, and neither lets a failed item be redone here.

What the caller sees is what a plain ``[fn(x) for x in items]`` gives: the results in
item order, and every error and warning raised in the calling process. A child only
returns the results of calls that neither raised nor warned; the parent redoes the
others itself (the same call, so the same message, in item order), and redoes all of a
child's items if the child dies. A child ignores nothing: Ctrl-C or SIGTERM end it at
once (default action) and the parent, interrupted too, kills and reaps what is left
(the signals are held while a child is started and while the children are reaped, so
none is lost between its fork and its record). A parent killed outright (SIGKILL, or
SIGTERM where the program has no handler) leaves its children to finish their share;
each then exits on the closed pipe.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Sequence
from typing import TypeVar

import msgspec
import numpy as np

from .errors import ConfigError

__all__ = ["fork_map", "worker_count"]

T = TypeVar("T")
R = TypeVar("R")

#: Most processes used, parent included: past a few, the parent's share (listing,
#: tables) and the pipes dominate, and a library should not take a whole server.
MAX_WORKERS = 4


def worker_count(n_items: int, min_items: int) -> int:
    """Processes :func:`fork_map` would use for ``n_items``: 1 (no fork) unless on Linux
    with several usable CPUs, only the main thread running, and ``min_items`` items
    for each process; at most ``VSCROWD_WORKERS`` (``1``: never fork) and
    :data:`MAX_WORKERS`.

    Raises:
        ConfigError: ``VSCROWD_WORKERS`` is set but not a whole number >= 1.
    """
    cap = _env_cap()
    # Outside Linux, fork without exec is unsafe (macOS) or missing (Windows); a program
    # that reaps its own children (SIGCHLD ignored or handled) would take our exit
    # statuses.
    if cap == 1 or not sys.platform.startswith("linux") or _threads_running() \
            or signal.getsignal(signal.SIGCHLD) not in (signal.SIG_DFL, None):
        return 1
    try:
        cpus = len(os.sched_getaffinity(0))  # the CPUs this process may run on
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    return max(1, min(cpus, cap, n_items // max(min_items, 1)))


def _threads_running() -> bool:
    """Whether a Python thread besides the main one runs (or this is not the main one):
    a fork would copy a lock such a thread may hold, with no one to release it in the
    child. (So a daemon thread left by a library -- tqdm's monitor -- means no fork.)"""
    return threading.active_count() != 1 \
        or threading.current_thread() is not threading.main_thread()


def _env_cap() -> int:
    value = os.environ.get("VSCROWD_WORKERS", "").strip()
    if not value:
        return MAX_WORKERS
    if not (value.isascii() and value.isdigit() and int(value) >= 1):
        raise ConfigError(f"VSCROWD_WORKERS must be a whole number >= 1 (1: read in this "
                          f"process only), got {value[:40]!r}")
    return min(int(value), MAX_WORKERS)


def fork_map(fn: Callable[[T], R], items: Sequence[T], *, min_items: int) -> list[R]:
    """``[fn(x) for x in items]``, split into contiguous chunks over
    :func:`worker_count` processes (the parent takes the first chunk).

    ``fn`` must only read (its side effects in a child are lost). A child's results
    come back as msgpack, which cannot run code as a pickle can: ``str``, ``int``,
    ``float``, ``bool``, None, ``bytes``, lists, tuples, string-keyed dicts and NumPy
    arrays of numbers (bit for bit), by exact type; a tuple comes back as a list
    (unpack results, do not compare their type). Anything else (a NumPy scalar, a
    dataclass, a set) makes the parent compute the child's items. ``min_items`` is the
    fewest items worth a process (a fork and a pipe cost about a millisecond).
    """
    n = worker_count(len(items), min_items)
    if n == 1:
        return [fn(x) for x in items]
    step = -(-len(items) // n)
    chunks = [items[i:i + step] for i in range(0, len(items), step)]
    children: list[_Child | None] = []
    try:
        with _signals_held():  # a signal between a fork and its record would lose it
            for chunk in chunks[1:]:
                children.append(_Child.start(fn, chunk))
        out = [fn(x) for x in chunks[0]]
        for child, chunk in zip(children, chunks[1:]):
            got = child.results(len(chunk)) if child else [(False, None)] * len(chunk)
            out += [r if ok else fn(x) for x, (ok, r) in zip(chunk, got)]
        return out
    finally:
        with _signals_held():  # a second Ctrl-C does not leave the rest unreaped
            for child in children:
                if child is not None:
                    child.reap()


_HELD = (signal.SIGINT, signal.SIGTERM)


@contextlib.contextmanager
def _signals_held():
    """SIGINT and SIGTERM held in the block and delivered, to the handlers they had,
    after it. Held by a recording handler, not by blocking them: a signal sent to the
    process goes to any thread that does not block it (a native pool's), whose C-level
    handler then has the main thread raise at once."""
    got: list[int] = []
    old = {s: signal.getsignal(s) for s in _HELD}
    old = {s: h for s, h in old.items() if h is not None}  # None: set outside Python
    for s in old:
        signal.signal(s, lambda signum, frame: got.append(signum))
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
        for s in dict.fromkeys(got):
            signal.raise_signal(s)


#: The msgpack extension code of a NumPy array in a child's results.
_ARRAY = 1


def _encode_extra(obj: object) -> object:
    """A NumPy array of numbers (dtype, shape and bytes: bit for bit) as a msgpack
    extension (:func:`_plain` has checked every other value)."""
    if type(obj) is np.ndarray and obj.dtype.kind in "biuf":
        return msgspec.msgpack.Ext(_ARRAY, msgspec.msgpack.encode(
            (obj.dtype.str, obj.shape, obj.tobytes())))
    raise TypeError(f"a worker cannot send a {type(obj).__name__}")


#: The types a child's results may hold, exactly (no subclasses).
_SCALARS = frozenset({str, int, float, bool, type(None), bytes})


def _plain(obj: object) -> None:
    """Raise TypeError unless ``obj`` is made of values that come back as they went:
    the :data:`_SCALARS`, lists, tuples (which come back as lists), string-keyed dicts
    and NumPy arrays of numbers, by exact type. msgspec alone would send a dataclass as
    a dict, a set as a list, an Enum as its value, ``np.float32(1)`` as a float and a
    masked array without its mask."""
    kind = type(obj)
    if kind in _SCALARS or (kind is np.ndarray and obj.dtype.kind in "biuf"):
        return
    if kind is list or kind is tuple:
        for value in obj:
            _plain(value)
    elif kind is dict:
        for key, value in obj.items():
            if type(key) is not str:
                raise TypeError(f"a worker cannot send a dict key {type(key).__name__}")
            _plain(value)
    else:
        raise TypeError(f"a worker cannot send a {kind.__name__}")


def _decode_extra(code: int, data: memoryview) -> np.ndarray:
    if code != _ARRAY:
        raise ValueError(f"unknown msgpack extension {code}")
    dtype, shape, raw = msgspec.msgpack.decode(data)
    if np.dtype(dtype).kind not in "biuf":
        raise ValueError("not an array of numbers")
    return np.frombuffer(raw, np.dtype(dtype)).reshape(shape).copy()  # writable


# Results travel as msgpack rather than pickle: nothing the pipe carries can run code.
_ENCODER = msgspec.msgpack.Encoder(enc_hook=_encode_extra)
_DECODER = msgspec.msgpack.Decoder(list[tuple[bool, object]], ext_hook=_decode_extra)


def _attempt(fn: Callable[[T], R], item: T) -> tuple[bool, R | None]:
    """``(True, fn(item))``, or ``(False, None)`` where the call raised or warned."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = fn(item)
        except Exception:
            return False, None
    return (False, None) if caught else (True, result)


class _Child:
    """One forked worker: its process id and the read end of its result pipe."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid, self.fd, self.done = pid, fd, False

    @classmethod
    def start(cls, fn: Callable[[T], R], chunk: Sequence[T]) -> _Child | None:
        """A child working on ``chunk``; None where the system refuses a process or a
        pipe (the parent then computes the chunk)."""
        for stream in (sys.stdout, sys.stderr):  # nothing buffered is written twice
            with contextlib.suppress(AttributeError, ValueError, OSError):  # None, closed
                stream.flush()
        try:
            read_end, write_end = os.pipe()
        except OSError:  # no descriptor to be had (ulimit): the parent does this chunk
            return None
        try:
            with warnings.catch_warnings():
                # Python >= 3.12 warns of any thread at a fork; the check above leaves
                # only native pools (OpenBLAS, Arrow), idle, that the child never uses.
                warnings.filterwarnings("ignore", ".*multi-threaded.*fork",
                                        DeprecationWarning)
                pid = os.fork()
        except OSError:  # no process to be had (ulimit): the parent does this chunk
            os.close(read_end)
            os.close(write_end)
            return None
        if pid == 0:  # the child: never returns, never runs the parent's exit handlers
            code = 1
            try:  # SIGINT and SIGTERM were held (fork_map): they kill it from here on
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                os.close(read_end)
                results = [_attempt(fn, x) for x in chunk]
                _plain(results)
                data = _ENCODER.encode(results)
                with open(write_end, "wb") as pipe:
                    pipe.write(data)
                code = 0
            finally:
                os._exit(code)
        os.close(write_end)
        return cls(pid, read_end)

    def results(self, n: int) -> list[tuple[bool, object]]:
        """The child's ``(ok, result)`` per item; all ``(False, None)`` (redo) if it
        died or sent something else."""
        fd, self.fd = self.fd, -1  # closed by the file object from here on
        with open(fd, "rb") as pipe:
            data = pipe.read()
        redo = [(False, None)] * n
        try:
            _, status = os.waitpid(self.pid, 0)
        except ChildProcessError:  # reaped by someone else: its status is unknown
            status = None
        self.done = True
        if status is None or os.waitstatus_to_exitcode(status) != 0:
            return redo
        try:
            got = _DECODER.decode(data)
        except (msgspec.DecodeError, ValueError, TypeError):
            return redo
        return got if len(got) == n else redo

    def reap(self) -> None:
        """Kill and wait for the child if :meth:`results` did not (the parent was
        interrupted or raised): no process or zombie is left behind."""
        if self.done:
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(self.pid, signal.SIGKILL)
        with contextlib.suppress(ChildProcessError):
            os.waitpid(self.pid, 0)
        self.done = True
        if self.fd >= 0:
            os.close(self.fd)
