"""Checkpoints: plain data written atomically, read with ``weights_only=True`` only.

A checkpoint holds tensors, numbers, strings, lists, tuples and dicts and nothing
else, so :func:`torch.load` reads it with ``weights_only=True``: loading a file never
runs code from it. Everything a resume needs (RNG states included) is stored in those
plain types; see docs/model.md ("Checkpoint formats and safety").
"""

from __future__ import annotations

import io
import pickle
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import torch

from .._files import require_regular_file
from .._io import atomic_write_bytes
from .._version import __version__
from ..errors import CheckpointError

__all__ = [
    "CHECKPOINT_FORMAT",
    "load_checkpoint",
    "require_keys",
    "save_checkpoint",
]

#: The format written now. Version 1 (vscrowd 0.1) pickled NumPy arrays and cannot be
#: read with ``weights_only=True``; docs/model.md shows how to convert one you trust.
CHECKPOINT_FORMAT = "vscrowd-checkpoint-2"
_FORMAT_RE = re.compile(r"^vscrowd-checkpoint-(\d+)$")
_GLOBAL_RE = re.compile(r"GLOBAL ([\w.]+)")

#: Keys every checkpoint must have, with their types (``predict`` needs these).
_REQUIRED: dict[str, type | tuple[type, ...]] = {"model": dict, "config": dict}


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> Path:
    """Serialise to memory, then temp file + fsync + rename: a crash never leaves a
    truncated checkpoint, and the previous one stays until the new one is complete.

    ``payload`` must hold plain data only (tensors, numbers, strings, lists, tuples,
    dicts); anything else would make the file unreadable with ``weights_only=True``,
    so it is refused here rather than discovered at load time.
    """
    buf = io.BytesIO()
    torch.save({"format": CHECKPOINT_FORMAT, "vscrowd_version": __version__, **payload}, buf)
    data = buf.getvalue()
    try:
        torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:  # a programming error in the caller
        raise TypeError(f"checkpoint payload is not plain data: {_disallowed(exc)}") from exc
    atomic_write_bytes(path, data)
    return Path(path)


def _disallowed(exc: BaseException) -> str:
    match = _GLOBAL_RE.search(str(exc))
    return match.group(1) if match else str(exc).splitlines()[0][:120]



def load_checkpoint(path: str | Path) -> dict[str, Any]:
    """Read a checkpoint written by :func:`save_checkpoint`, never unpickling code.

    Raises:
        CheckpointError: Missing, truncated or corrupt file; a file that needs a
            Python global to load (an older vscrowd checkpoint or a foreign pickle:
            the message names the first disallowed global); not a vscrowd checkpoint;
            a format from a newer vscrowd; a missing key or a key of the wrong type.
    """
    path = Path(path)
    if not path.exists():
        raise CheckpointError(f"no checkpoint at {path}")
    require_regular_file(path, CheckpointError, "checkpoint")
    try:
        ckpt = torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        if not _GLOBAL_RE.search(str(exc)):
            raise CheckpointError(f"{path} is corrupt or truncated (not a readable "
                                  f"checkpoint: {str(exc).splitlines()[0][:120]})") from exc
        raise CheckpointError(
            f"{path} refused: loading it would need the Python global {_disallowed(exc)}, "
            "and vscrowd only loads plain tensors and data (an older vscrowd checkpoint or "
            "a foreign pickle; docs/model.md shows how to convert one you trust)") from exc
    except Exception as exc:
        raise CheckpointError(f"{path} is corrupt or truncated ({type(exc).__name__}: "
                              f"{str(exc)[:120]}); earlier checkpoints in its folder are "
                              "untouched") from exc
    fmt = ckpt.get("format") if isinstance(ckpt, dict) else None
    match = _FORMAT_RE.match(fmt) if isinstance(fmt, str) else None
    if match is None:
        raise CheckpointError(f"{path} is not a vscrowd checkpoint (expected format "
                              f"{CHECKPOINT_FORMAT!r}, got {fmt!r})")
    if fmt != CHECKPOINT_FORMAT:
        newer = int(match.group(1)) > int(_FORMAT_RE.match(CHECKPOINT_FORMAT).group(1))
        raise CheckpointError(
            f"{path} has format {fmt!r}, written by "
            + (f"a newer vscrowd ({ckpt.get('vscrowd_version')}); upgrade vscrowd to read it"
               if newer else
               f"an older vscrowd; this version reads {CHECKPOINT_FORMAT!r} (see "
               "docs/model.md for converting)"))
    require_keys(ckpt, _REQUIRED, path)
    return ckpt


def require_keys(ckpt: Mapping[str, Any], required: Mapping[str, type | tuple[type, ...]],
                 path: str | Path) -> None:
    """Raise :class:`CheckpointError` naming missing keys and keys of the wrong type."""
    missing = [k for k in required if k not in ckpt]
    if missing:
        raise CheckpointError(f"{path} lacks checkpoint key(s) {missing}")
    wrong = [f"{k} (expected {_type_names(t)}, got {type(ckpt[k]).__name__})"
             for k, t in required.items() if not isinstance(ckpt[k], t)]
    if wrong:
        raise CheckpointError(f"{path} has checkpoint key(s) of the wrong type: "
                              + ", ".join(wrong))


def _type_names(t: type | tuple[type, ...]) -> str:
    return " or ".join(x.__name__ for x in (t if isinstance(t, tuple) else (t,)))
