"""A timm-style registry: ``@register_model`` and ``build_model(name, **options)``."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from ..errors import ConfigError

__all__ = ["build_model", "builder_options", "list_models", "model_defaults", "register_model"]

_REGISTRY: dict[str, Callable[..., Any]] = {}
_DEFAULTS: dict[str, dict[str, Any]] = {}


def register_model(name: str, **defaults: Any
                   ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a model builder under ``name``; ``defaults`` are facts about the model
    that callers need before building it (e.g. ``clip_length=1``). The builder
    validates its own options and raises :class:`vscrowd.ConfigError` for unknown ones."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        if name in _REGISTRY:
            raise ValueError(f"model {name!r} registered twice")
        _REGISTRY[name] = fn
        _DEFAULTS[name] = dict(defaults)
        return fn

    return deco


def model_defaults(name: str) -> dict[str, Any]:
    """What was registered about model ``name`` (a copy), e.g. its ``clip_length``.

    Raises:
        ConfigError: Unknown name (lists the valid ones).
    """
    if name not in _REGISTRY:
        raise ConfigError(f"expected a model in {list_models()}, got {name!r}")
    return dict(_DEFAULTS[name])


def list_models() -> list[str]:
    """Registered model names, sorted."""
    return sorted(_REGISTRY)


def build_model(name: str, **options: Any):
    """Build a registered model, e.g. ``build_model("gnanet", width=0.25)``.

    Raises:
        ConfigError: Unknown name (lists the valid ones) or option (named by the
            builder). Any other exception is a bug and propagates as it is.
    """
    if name not in _REGISTRY:
        raise ConfigError(f"expected a model in {list_models()}, got {name!r}")
    return _REGISTRY[name](**options)


def builder_options(name: str) -> frozenset[str] | None:
    """The keyword options the builder of ``name`` takes, or None when it takes any
    (``**options``, as every GNANet variant does).

    Raises:
        ConfigError: Unknown name (lists the valid ones).
    """
    if name not in _REGISTRY:
        raise ConfigError(f"expected a model in {list_models()}, got {name!r}")
    params = inspect.signature(_REGISTRY[name]).parameters.values()
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return frozenset(p.name for p in params if p.kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY))
