"""Shareable models: a folder of ``model.safetensors`` + ``config.json`` (+ README.md).

safetensors holds raw tensors and a JSON header, nothing executable, so a model folder
received from anyone loads without running code. ``from_pretrained`` reads such a
folder or a Hugging Face Hub repository holding one (``pip install 'vscrowd[hub]'``).

Example:
    >>> import tempfile
    >>> net = build_model("baseline", width=0.05)
    >>> folder = save_pretrained(net, tempfile.mkdtemp(), name="baseline",
    ...                          options={"width": 0.05})
    >>> type(from_pretrained(folder)).__name__
    'GNANet'
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import torch

from .._files import require_regular_file
from .._io import atomic_path, atomic_write_text
from .._optional import require_module
from .._text import read_json
from .._version import __version__
from ..errors import CheckpointError, ConfigError, VSCrowdError
from . import gnanet  # noqa: F401  (registers the built-in models: from_pretrained builds them)
from .registry import build_model, builder_options, list_models
from .state import load_state_strict

__all__ = [
    "CONFIG_NAME",
    "PRETRAINED_FORMAT",
    "WEIGHTS_NAME",
    "from_pretrained",
    "load_pretrained_config",
    "resolve_pretrained",
    "save_pretrained",
]

PRETRAINED_FORMAT = "vscrowd-pretrained-1"
WEIGHTS_NAME, CONFIG_NAME, CARD_NAME = "model.safetensors", "config.json", "README.md"
_REPO_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")
_DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16}


def save_pretrained(model: torch.nn.Module, out_dir: str | Path, *, name: str,
                    options: Mapping[str, Any], extra: Mapping[str, Any] | None = None,
                    card: str | None = None, dtype: Literal["fp32", "bf16"] = "fp32") -> Path:
    """Write ``model`` as a shareable folder; each file is written atomically.

    Args:
        model: The network (its ``state_dict`` is saved).
        out_dir: Folder to create (files of the same names are replaced).
        name: Registered model name (:func:`vscrowd.models.list_models`).
        options: Keyword options for ``build_model(name, **options)``.
        extra: More JSON-able entries for ``config.json`` (training data, metrics).
        card: Text of ``README.md`` (the model card); none written if None.
        dtype: Floating-point tensors are stored in this type.
    """
    from safetensors.torch import save_file

    if dtype not in _DTYPES:
        raise ConfigError(f"expected dtype fp32 or bf16, got {dtype!r}")
    out = Path(out_dir)
    state = {k: (v.to(_DTYPES[dtype]) if v.is_floating_point() else v).detach().contiguous()
             for k, v in model.state_dict().items()}
    config = {"format": PRETRAINED_FORMAT, "vscrowd_version": __version__,
              "model": {"name": name, "options": dict(options)}, "dtype": dtype,
              **(extra or {})}
    with atomic_path(out / WEIGHTS_NAME) as tmp:
        save_file(state, str(tmp), metadata={"format": PRETRAINED_FORMAT})
    atomic_write_text(out / CONFIG_NAME, json.dumps(config, indent=2) + "\n")
    if card is not None:
        atomic_write_text(out / CARD_NAME, card)
    return out


def resolve_pretrained(source: str | Path, *, revision: str | None = None) -> Path:
    """A local model folder for ``source``: a folder, or a Hub repo id downloaded to the
    Hugging Face cache (weights, config and card only).

    Raises:
        CheckpointError: Neither an existing folder nor a repo id, or the repo cannot
            be reached / does not exist.
    """
    path = Path(source)
    if path.is_dir():
        return path
    text = str(source)
    if path.exists() or not _REPO_ID.match(text):
        raise CheckpointError(f"no model at {text}: neither a model folder (with {CONFIG_NAME} and "
                              f"{WEIGHTS_NAME}) nor a Hugging Face repo id (owner/name)")
    return _download(text, revision)


def _download(repo_id: str, revision: str | None) -> Path:
    hub = require_module("huggingface_hub", "loading a model from the Hugging Face Hub",
                         "hub")
    try:
        folder = hub.snapshot_download(repo_id=repo_id, revision=revision,
                                       allow_patterns=[WEIGHTS_NAME, CONFIG_NAME, CARD_NAME])
    except Exception as exc:  # the hub raises many types: offline, 401, 404, ...
        hint = ("; if it is private or gated, log in (huggingface-cli login) or set HF_TOKEN"
                if "401" in str(exc) or "403" in str(exc) or "Gated" in type(exc).__name__
                else "")
        raise CheckpointError(f"cannot download model {repo_id!r} from the Hugging Face Hub "
                              f"({type(exc).__name__}: {str(exc).splitlines()[0][:160]})"
                              f"{hint}") from exc
    return Path(folder)


def load_pretrained_config(folder: str | Path) -> dict[str, Any]:
    """The validated ``config.json`` of a model folder."""
    path = Path(folder) / CONFIG_NAME
    config = read_json(path, CheckpointError, "model config")
    if not isinstance(config, dict) or config.get("format") != PRETRAINED_FORMAT:
        got = config.get("format") if isinstance(config, dict) else type(config).__name__
        raise CheckpointError(f"{path}: expected format {PRETRAINED_FORMAT!r}, got {got!r}")
    model = config.get("model")
    if (not isinstance(model, dict) or not isinstance(model.get("name"), str)
            or not isinstance(model.get("options", {}), dict)):
        raise CheckpointError(f"{path}: expected \"model\": {{\"name\": str, \"options\": "
                              f"{{...}}}}, got {model!r}")
    return config


def from_pretrained(source: str | Path, *, revision: str | None = None,
                    device: str | torch.device = "cpu") -> torch.nn.Module:
    """Build a model from a folder written by :func:`save_pretrained` (``vscrowd
    export``) or from a Hugging Face Hub repo id holding one; returns it in eval mode.

    Raises:
        CheckpointError: Unreachable source, invalid config, unknown model or options,
            truncated/corrupt weights, or weights that do not fit the model.
    """
    folder = resolve_pretrained(source, revision=revision)
    config = load_pretrained_config(folder)
    name, options = config["model"]["name"], dict(config["model"].get("options", {}))
    takes = builder_options(name) if name in list_models() else None
    if takes is None or "backbone_weights" in takes:
        options["backbone_weights"] = None  # the weights come from the folder
    weights = folder / WEIGHTS_NAME
    # Built first on the meta device (no memory): its parameter shapes must be those of
    # the weights' header before a real tensor is allocated, so the weights file bounds
    # what a config.json can make us allocate.
    with torch.device("meta"):
        _check_shapes(_build(name, options, folder), weights)
    model = _build(name, options, folder)
    state = _read_weights(weights)
    load_state_strict(model, {k: v.float() if v.is_floating_point() else v
                             for k, v in state.items()}, weights)
    return model.to(device).eval()


def _build(name: str, options: dict[str, Any], folder: Path) -> torch.nn.Module:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "random init": replaced below
            return build_model(name, **options)
    except VSCrowdError as exc:
        raise CheckpointError(f"{folder / CONFIG_NAME}: {exc}") from exc
    except TypeError as exc:  # a builder given an option of a type it cannot take
        raise CheckpointError(f"{folder / CONFIG_NAME}: invalid model options ({exc})"
                              ) from exc


def _check_shapes(model: torch.nn.Module, path: Path) -> None:
    """The model's state shapes against the safetensors header (no tensor is read)."""
    from safetensors import SafetensorError, safe_open

    if not path.exists():
        raise CheckpointError(f"no weights at {path}")
    require_regular_file(path, CheckpointError, "weights file")
    try:
        with safe_open(str(path), framework="pt") as fh:
            header = {k: tuple(fh.get_slice(k).get_shape()) for k in fh.keys()}  # noqa: SIM118
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path} is corrupt or truncated ({exc})") from exc
    own = {k: tuple(v.shape) for k, v in model.state_dict().items()}
    if own != header:
        missing = sorted(set(own) - set(header))
        unexpected = sorted(set(header) - set(own))
        shapes = [f"{k} {header[k]} vs {own[k]}" for k in own
                  if k in header and header[k] != own[k]]
        raise CheckpointError(
            f"{path} does not fit the model its {CONFIG_NAME} describes: missing "
            f"{missing[:5]}, unexpected {unexpected[:5]}, shape mismatches {shapes[:3]} "
            "(nothing allocated)")


def _read_weights(path: Path) -> dict[str, torch.Tensor]:
    from safetensors import SafetensorError
    from safetensors.torch import load_file

    if not path.exists():
        raise CheckpointError(f"no weights at {path}")
    require_regular_file(path, CheckpointError, "weights file")
    try:
        return load_file(str(path))
    except (SafetensorError, OSError, ValueError) as exc:
        raise CheckpointError(f"{path} is corrupt or truncated ({exc})") from exc
