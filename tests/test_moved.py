"""Modules that moved into sub-packages still import under their 0.1.0 names, with a
DeprecationWarning, and reach the real module."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from vscrowd._moved import MOVED


@pytest.mark.parametrize("new", sorted(set(MOVED.values())))
def test_every_new_home_imports(new):
    assert importlib.import_module(new).__name__ == new


def test_old_name_warns_and_proxies_the_new_module():
    # A fresh interpreter: the old name must not be in sys.modules from another test.
    code = ("import warnings, vscrowd\n"
            "with warnings.catch_warnings(record=True) as w:\n"
            "    warnings.simplefilter('always')\n"
            "    from vscrowd.plots import plot_all\n"
            "    import vscrowd.tracker as old\n"
            "import vscrowd.viz.plots as new, vscrowd.methods.tracker as real\n"
            "assert plot_all is new.plot_all\n"
            "assert old.track_points is real.track_points\n"
            "msgs = [str(x.message) for x in w if x.category is DeprecationWarning]\n"
            "assert any('vscrowd.plots moved to vscrowd.viz.plots' in m for m in msgs), msgs\n"
            "assert any('vscrowd.tracker moved' in m for m in msgs), msgs\n")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_unknown_names_are_not_invented():
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("vscrowd.no_such_module")
    import vscrowd.viz.plots as real
    with pytest.warns(DeprecationWarning, match="vscrowd.plots moved to vscrowd.viz.plots"):
        old = importlib.import_module("vscrowd.plots")
    with pytest.raises(AttributeError):
        old.no_such_function  # noqa: B018 - the attribute read is the test
    assert old.plot_all is real.plot_all
