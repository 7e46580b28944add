"""vscrowd._parallel.fork_map: what ``[fn(x) for x in items]`` gives -- results in
order, every error and warning raised in the calling process -- with the work split
over forked children; a child that fails or dies has its items redone, none is left
running."""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
import time
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vscrowd import _parallel
from vscrowd._parallel import MAX_WORKERS, fork_map, worker_count
from vscrowd.errors import ConfigError

THREADS_RUNNING = _parallel._threads_running

pytestmark = pytest.mark.skipif(not hasattr(os, "fork") or not sys.platform.startswith(
    "linux"), reason="forked workers are used on Linux only")


@pytest.fixture
def cpus(fork_children, monkeypatch):
    """Four usable CPUs whatever the machine has, so the children are started."""


@pytest.fixture
def started(fork_children) -> list[int]:
    """The process ids of the children fork_map starts."""
    return fork_children


def _gone(pid: int) -> bool:
    """Whether ``pid`` has been reaped (no process, not even a zombie, by that id)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def test_the_work_is_split_over_processes(cpus, started):
    got = fork_map(lambda x: (x * x, os.getpid()), list(range(40)), min_items=5)
    assert [v for v, _ in got] == [x * x for x in range(40)]
    pids = [p for _, p in got]
    assert len(set(pids)) == MAX_WORKERS and pids[0] == os.getpid()
    assert pids == sorted(pids, key=pids.index)  # contiguous chunks, in order
    assert len(started) == MAX_WORKERS - 1 and all(map(_gone, started))


@settings(max_examples=15, deadline=None)
@given(items=st.lists(st.integers(-1000, 1000), max_size=60), min_items=st.integers(1, 9))
def test_same_as_a_plain_loop(items, min_items):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_parallel.os, "sched_getaffinity", lambda pid: {0, 1, 2})
        assert fork_map(lambda x: [x, -x], items, min_items=min_items) == \
            [[x, -x] for x in items]


def test_the_first_error_in_item_order_is_raised_here(cpus, started):
    parent = os.getpid()

    def fn(x):
        if x in (25, 33):
            raise ValueError(f"bad item {x} in {'parent' if os.getpid() == parent else 'child'}")
        return x

    with pytest.raises(ValueError, match="bad item 25 in parent"):
        fork_map(fn, list(range(40)), min_items=5)
    assert started and all(map(_gone, started))


def test_a_warning_in_a_child_is_raised_here_once(cpus):
    parent = os.getpid()

    def fn(x):
        if x == 30:
            warnings.warn(f"odd item in {'parent' if os.getpid() == parent else 'child'}",
                          UserWarning, stacklevel=1)
        return x

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert fork_map(fn, list(range(40)), min_items=5) == list(range(40))
    assert [str(w.message) for w in caught] == ["odd item in parent"]


def test_a_child_that_dies_has_its_items_redone(cpus, started):
    parent = os.getpid()

    def fn(x):
        if os.getpid() != parent and x == 35:
            os.kill(os.getpid(), signal.SIGKILL)
        return x + 1

    assert fork_map(fn, list(range(40)), min_items=5) == list(range(1, 41))
    assert all(map(_gone, started))


def test_a_result_that_cannot_be_sent_is_computed_here(cpus):
    lock = threading.Lock()  # a lock cannot be pickled
    with pytest.raises(TypeError):
        pickle.dumps(lock)
    got = fork_map(lambda x: (x, lock), list(range(12)), min_items=3)
    assert [x for x, _ in got] == list(range(12)) and all(v is lock for _, v in got)


def test_an_interrupted_parent_leaves_no_child(cpus, started):
    parent = os.getpid()

    def fn(x):
        if os.getpid() != parent:
            time.sleep(60)  # a child still at work when the parent stops
        elif x == 3 and started:  # in the parent, after the children started
            raise KeyboardInterrupt
        return x

    begin = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        fork_map(fn, list(range(40)), min_items=5)
    assert time.monotonic() - begin < 30  # the children were killed, not waited for
    assert len(started) == MAX_WORKERS - 1 and all(map(_gone, started))


def test_no_fork_with_another_thread_running(cpus, started, monkeypatch):
    monkeypatch.setattr(_parallel, "_threads_running", THREADS_RUNNING)  # the real check
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert _parallel._threads_running() and worker_count(100, 1) == 1
        assert fork_map(lambda x: os.getpid(), list(range(40)), min_items=1) == \
            [os.getpid()] * 40
    finally:
        stop.set()
        thread.join()
    assert not started


def test_how_many_workers(cpus, monkeypatch):
    assert worker_count(100, 10) == MAX_WORKERS
    assert worker_count(25, 10) == 2 and worker_count(9, 10) == 1
    monkeypatch.setattr(_parallel.os, "sched_getaffinity", lambda pid: {0})
    assert worker_count(100, 1) == 1


@pytest.mark.parametrize("value, expected", [("1", 1), ("2", 2), (" 3 ", 3), ("99", 4)])
def test_vscrowd_workers_caps_the_processes(cpus, monkeypatch, value, expected):
    monkeypatch.setenv("VSCROWD_WORKERS", value)
    assert worker_count(100, 1) == expected


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", "\u0663"])
def test_vscrowd_workers_not_a_count(cpus, monkeypatch, value):
    monkeypatch.setenv("VSCROWD_WORKERS", value)
    with pytest.raises(ConfigError, match="VSCROWD_WORKERS must be a whole number"):
        worker_count(100, 1)


def test_arrays_come_back_bit_for_bit(cpus, started):
    import numpy as np

    parent = os.getpid()
    arrays = [np.array([-0.0, np.nan, 1e-310, np.inf]), np.arange(6, dtype=np.int32)
              .reshape(2, 3), np.zeros((0, 4)), np.array([True, False]),
              np.array([1.5, 2.5], dtype=">f8"), np.asfortranarray(np.eye(3)),
              np.array(2.5), np.arange(12, dtype=np.uint8).reshape(3, 4)[:, ::2]]

    def fn(i):
        return [os.getpid() != parent, arrays[i % len(arrays)]]

    got = fork_map(fn, list(range(32)), min_items=8)
    assert started and sum(child for child, _ in got) == 24
    for i, (_, a) in enumerate(got):
        want = np.asarray(arrays[i % len(arrays)])
        b = np.asarray(a)
        assert b.shape == want.shape and b.dtype == want.dtype and b.tobytes() == want.tobytes()
        assert type(a) is np.ndarray and a.flags.writeable


def test_an_array_of_objects_is_computed_here(cpus):
    import numpy as np

    parent = os.getpid()
    got = fork_map(lambda x: (os.getpid() == parent, np.array([x, "a"], dtype=object)),
                   list(range(12)), min_items=3)
    assert all(here for here, _ in got)
    assert [a.tolist() for _, a in got] == [[x, "a"] for x in range(12)]


def test_no_process_to_be_had_means_the_work_is_done_here(cpus, started, monkeypatch):
    calls = []

    def refuse():
        calls.append(1)
        if len(calls) > 1:  # the first child starts, the others find the process limit
            raise BlockingIOError(11, "Resource temporarily unavailable")
        return real_fork()

    real_fork = os.fork
    monkeypatch.setattr(_parallel.os, "fork", refuse)
    fds = len(os.listdir("/proc/self/fd"))
    assert fork_map(lambda x: x * 3, list(range(40)), min_items=5) == \
        [x * 3 for x in range(40)]
    assert len(calls) == MAX_WORKERS - 1 and len(started) == 1 and all(map(_gone, started))
    assert len(os.listdir("/proc/self/fd")) == fds  # no pipe left open


@pytest.mark.parametrize("make", [
    lambda x: __import__("numpy").float64(x),  # a float subclass: would come back a float
    lambda x: __import__("numpy").float32(x),
    lambda x: {x},
    lambda x: __import__("fractions").Fraction(x),
    lambda x: {1: x},  # a key that is not a string
    lambda x: __import__("numpy").ma.masked_array([x, 1], mask=[0, 1]),
])
def test_values_that_would_not_come_back_as_they_went_are_computed_here(cpus, make):
    parent = os.getpid()
    got = fork_map(lambda x: (os.getpid() == parent, make(x)), list(range(12)), min_items=3)
    assert all(here for here, _ in got)
    assert [type(v) for _, v in got] == [type(make(0))] * 12


def test_no_fork_where_the_program_reaps_its_children(cpus, started):
    old = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        assert worker_count(100, 1) == 1
        assert fork_map(lambda x: x + 1, list(range(40)), min_items=1) == list(range(1, 41))
    finally:
        signal.signal(signal.SIGCHLD, old)
    assert not started


def test_a_closed_stdout_does_not_stop_the_work(cpus, started, monkeypatch):
    import io

    closed = io.TextIOWrapper(io.BytesIO())  # flush() on it raises once closed
    closed.close()
    monkeypatch.setattr(sys, "stdout", closed)
    monkeypatch.setattr(sys, "stderr", None)
    assert fork_map(lambda x: -x, list(range(40)), min_items=5) == [-x for x in range(40)]
    assert started


def test_the_signals_are_held_while_children_start(cpus, started, monkeypatch):
    # A Ctrl-C that arrives as a child is forked is delivered once it is on record: the
    # parent then kills and reaps it (before, it could be lost, never reaped).
    start = _parallel._Child.start.__func__

    def interrupted(cls, fn, chunk):
        child = start(cls, fn, chunk)
        os.kill(os.getpid(), signal.SIGINT)  # held: delivered after the last start
        return child

    monkeypatch.setattr(_parallel._Child, "start", classmethod(interrupted))
    # Another thread that may take the signal (as a native pool's thread can; blocking
    # the signal in this thread alone did not hold it then).
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            fork_map(lambda x: time.sleep(0.05) or x, list(range(40)), min_items=5)
    finally:
        stop.set()
        thread.join()
    assert len(started) == MAX_WORKERS - 1 and all(map(_gone, started))
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler  # restored


def test_a_held_sigterm_reaches_the_programs_handler(cpus, started, monkeypatch):
    seen = []
    old = signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(signum))
    start = _parallel._Child.start.__func__

    def terminated(cls, fn, chunk):
        child = start(cls, fn, chunk)
        os.kill(os.getpid(), signal.SIGTERM)
        return child

    monkeypatch.setattr(_parallel._Child, "start", classmethod(terminated))
    try:
        assert fork_map(lambda x: x, list(range(40)), min_items=5) == list(range(40))
        assert seen == [signal.SIGTERM]  # once, after the children were on record
    finally:
        signal.signal(signal.SIGTERM, old)
