"""Optional dependencies: one clear error with the install hint."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from .errors import MissingDependencyError

__all__ = ["installed", "optional_module", "require_module", "require_torch"]


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
    return importlib.import_module(module)


def require_torch(feature: str) -> None:
    """Raise :class:`MissingDependencyError` if torch is not installed."""
    if not installed("torch"):
        raise MissingDependencyError(
            f"{feature} needs PyTorch, which is not installed; install it with "
            "pip install 'vscrowd[torch]'")
