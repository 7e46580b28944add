"""Optional dependencies: one clear error with the install hint."""

from __future__ import annotations

import importlib.util

from .errors import MissingDependencyError


def require_torch(feature: str) -> None:
    """Raise :class:`MissingDependencyError` if torch is not installed."""
    if importlib.util.find_spec("torch") is None:
        raise MissingDependencyError(
            f"{feature} needs PyTorch, which is not installed; install it with "
            "pip install 'vscrowd[torch]'")
