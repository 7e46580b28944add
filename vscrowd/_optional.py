"""Optional dependencies: one clear error with the install hint."""

from __future__ import annotations

import importlib
import importlib.util
from types import ModuleType

from .errors import MissingDependencyError

__all__ = ["require_module", "require_torch"]


def require_module(module: str, feature: str, extra: str) -> ModuleType:
    """Import ``module`` or raise :class:`MissingDependencyError` naming the extra.

    >>> require_module("json", "parsing", "core").__name__
    'json'
    """
    if importlib.util.find_spec(module) is None:
        raise MissingDependencyError(
            f"{feature} needs {module}, which is not installed; install it with "
            f"pip install 'vscrowd[{extra}]'")
    return importlib.import_module(module)


def require_torch(feature: str) -> None:
    """Raise :class:`MissingDependencyError` if torch is not installed."""
    if importlib.util.find_spec("torch") is None:
        raise MissingDependencyError(
            f"{feature} needs PyTorch, which is not installed; install it with "
            "pip install 'vscrowd[torch]'")
