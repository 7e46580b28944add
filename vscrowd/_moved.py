"""Old names kept for one release: import paths of modules that moved into sub-packages,
and attribute aliases retired for one name per field.

``import vscrowd.plots`` (0.1.0) still works and warns; it yields a thin proxy of the
module's new home (:mod:`vscrowd.viz.plots`), so attribute reads reach the real module.
Monkeypatching through the old name does not reach it: use the new name.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.util
import sys
import warnings
from types import ModuleType

__all__ = ["MOVED", "install_moved_modules", "renamed_attribute"]

# old dotted name -> new dotted name (0.1.0 -> 0.2.0); removed in the release after.
MOVED: dict[str, str] = {
    "vscrowd._annotation_text": "vscrowd.datasets._annotation_text",
    "vscrowd.annotations": "vscrowd.datasets.annotations",
    "vscrowd.archives": "vscrowd.acquire.archives",
    "vscrowd.assemble": "vscrowd.acquire.assemble",
    "vscrowd.baselines": "vscrowd.methods.baselines",
    "vscrowd.cache": "vscrowd.datasets.cache",
    "vscrowd.convert": "vscrowd.datasets.convert",
    "vscrowd.dataset": "vscrowd.datasets.vscrowd",
    "vscrowd.download": "vscrowd.acquire.download",
    "vscrowd.eval.box_threshold": "vscrowd.eval.families.box",
    "vscrowd.eval.breakdowns": "vscrowd.eval.families.size",
    "vscrowd.eval.counting": "vscrowd.eval.families.count",
    "vscrowd.eval.distance_ap": "vscrowd.eval.families.distance",
    "vscrowd.eval.idrees": "vscrowd.eval.families.idrees",
    "vscrowd.eval.tracks": "vscrowd.eval.video_scores",
    "vscrowd.images": "vscrowd.datasets.images",
    "vscrowd.layout": "vscrowd.datasets.layout",
    "vscrowd.namemap": "vscrowd.datasets.namemap",
    "vscrowd.plots": "vscrowd.viz.plots",
    "vscrowd.sensecrowd": "vscrowd.datasets.sensecrowd",
    "vscrowd.show": "vscrowd.viz.show",
    "vscrowd.splits": "vscrowd.datasets.splits",
    "vscrowd.stats": "vscrowd.viz.stats",
    "vscrowd.synth_people": "vscrowd.synth.people",
    "vscrowd.synth_sensecrowd": "vscrowd.synth.sensecrowd",
    "vscrowd.tracker": "vscrowd.methods.tracker",
    "vscrowd.verify": "vscrowd.acquire.verify",
}


class _MovedFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Finds the old names only; everything else is left to the normal finders."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in MOVED:
            return None
        return importlib.util.spec_from_loader(fullname, self)

    def create_module(self, spec):
        return None  # a plain module object, filled by exec_module

    def exec_module(self, module: ModuleType) -> None:
        new = MOVED[module.__name__]
        warnings.warn(f"{module.__name__} moved to {new}; the old name goes in the next "
                      "release", DeprecationWarning, stacklevel=2)
        real = importlib.import_module(new)
        module.__getattr__ = lambda name: getattr(real, name)  # PEP 562 proxy
        module.__doc__ = real.__doc__
        module.__all__ = list(getattr(real, "__all__", []))


_FINDER = _MovedFinder()


def renamed_attribute(old: str, new: str) -> property:
    """A read-only property ``old`` that warns and returns ``self.<new>`` (0.1.0 alias)."""

    def get(self):
        warnings.warn(f"{type(self).__name__}.{old} is now {new}; the old name goes in the "
                      "next release", DeprecationWarning, stacklevel=2)
        return getattr(self, new)

    return property(get, doc=f"Deprecated alias of ``{new}``.")


def install_moved_modules() -> None:
    """Put the finder on ``sys.meta_path`` once (idempotent)."""
    if _FINDER not in sys.meta_path:
        sys.meta_path.append(_FINDER)
