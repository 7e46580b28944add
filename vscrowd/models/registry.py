"""A timm-style registry: ``@register_model`` and ``build_model(name, **options)``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..errors import ConfigError

__all__ = ["build_model", "list_models", "register_model"]

_REGISTRY: dict[str, Callable[..., Any]] = {}


def register_model(name: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a model factory under ``name``."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} registered twice")
        _REGISTRY[name] = fn
        return fn

    return deco


def list_models() -> list[str]:
    """Registered model names, sorted."""
    return sorted(_REGISTRY)


def build_model(name: str, **options: Any):
    """Build a registered model, e.g. ``build_model("gnanet", width=0.25)``.

    Raises:
        ConfigError: Unknown name or option.
    """
    if name not in _REGISTRY:
        raise ConfigError(f"expected a model in {list_models()}, got {name!r}")
    try:
        return _REGISTRY[name](**options)
    except TypeError as exc:
        raise ConfigError(f"bad option for model {name!r}: {exc}") from exc
