"""Optional dependencies (vscrowd._optional): the install hint, and imports a Ctrl-C
cannot abort -- SIGINT and SIGTERM received during the import take effect once it is
done, through the handler that was in place."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading

import pytest

from vscrowd._optional import interrupts_deferred, optional_module, require_module
from vscrowd.errors import MissingDependencyError


def test_sigint_inside_the_block_is_raised_after_it():
    done = []
    with pytest.raises(KeyboardInterrupt), interrupts_deferred():
        os.kill(os.getpid(), signal.SIGINT)
        done.append("block")
    assert done == ["block"]
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_sigterm_goes_to_the_handler_in_place_and_handlers_come_back():
    calls = []

    def handler(signum, _frame):
        calls.append(signum)

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        with interrupts_deferred():
            os.kill(os.getpid(), signal.SIGTERM)
            os.kill(os.getpid(), signal.SIGTERM)  # twice: handled once, at the end
            assert calls == []
        assert calls == [signal.SIGTERM]
        assert signal.getsignal(signal.SIGTERM) is handler  # put back
        with interrupts_deferred():
            pass
        assert calls == [signal.SIGTERM]  # nothing received, nothing delivered
    finally:
        signal.signal(signal.SIGTERM, previous)


def test_ignored_signal_stays_ignored_and_an_error_still_restores():
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        with pytest.raises(ValueError), interrupts_deferred():
            os.kill(os.getpid(), signal.SIGINT)
            raise ValueError("the block's own error")
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
    finally:
        signal.signal(signal.SIGINT, previous)


def test_default_action_is_taken_after_the_block():
    code = ("import os, signal\n"
            "from vscrowd._optional import interrupts_deferred\n"
            "signal.signal(signal.SIGTERM, signal.SIG_DFL)\n"
            "with interrupts_deferred():\n"
            "    os.kill(os.getpid(), signal.SIGTERM)\n"
            "    print('block done', flush=True)\n"
            "print('after the block')\n")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60)
    assert res.returncode == -signal.SIGTERM
    assert res.stdout == "block done\n"


def test_outside_the_main_thread_it_does_nothing():
    errors = []

    def run():
        try:
            with interrupts_deferred():
                pass
        except Exception as exc:  # signal.signal outside the main thread: ValueError
            errors.append(exc)

    t = threading.Thread(target=run)
    t.start()
    t.join()
    assert errors == []


@pytest.mark.parametrize("importer", ["require", "optional"])
def test_an_import_interrupted_midway_finishes_then_the_interrupt(tmp_path, monkeypatch,
                                                                   importer):
    """A module whose import receives a SIGINT (as torch's C++ initialisation might) is
    imported completely; the KeyboardInterrupt comes after."""
    name = f"_vscrowd_slow_import_{importer}"
    (tmp_path / f"{name}.py").write_text(
        "import os, signal\n"
        "os.kill(os.getpid(), signal.SIGINT)\n"
        "for _ in range(1000):  # bytecodes run: an undeferred handler would raise here\n"
        "    pass\n"
        "FINISHED = True\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, name, raising=False)
    with pytest.raises(KeyboardInterrupt):
        if importer == "require":
            require_module(name, "a test", "test")
        else:
            optional_module(name)
    assert sys.modules[name].FINISHED


def test_missing_module_names_the_extra():
    with pytest.raises(MissingDependencyError, match=r"vscrowd\[torch\]"):
        require_module("no_such_module_here", "a feature", "torch")
    assert optional_module("no_such_module_here") is None


def test_require_torch_imports_torch_with_interrupts_held(monkeypatch):
    from vscrowd import _optional

    imported = []

    def fake_import(name):  # torch's import, receiving a Ctrl-C midway
        os.kill(os.getpid(), signal.SIGINT)
        sum(range(1000))
        imported.append(name)

    monkeypatch.setattr(_optional, "installed", lambda _m: True)
    monkeypatch.setattr(_optional.importlib, "import_module", fake_import)
    with pytest.raises(KeyboardInterrupt):
        _optional.require_torch("a test")
    assert imported == ["torch"]
