"""The one way vscrowd makes and writes a Matplotlib figure (no pyplot state; atomic
writes)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from matplotlib.figure import Figure

from ._io import atomic_path

__all__ = ["FigureFormat", "new_figure", "save_figure"]

FigureFormat = Literal["png", "svg", "pdf"]


def new_figure(width: float = 6.4, height: float = 4.2) -> Figure:
    """A figure with vscrowd's size and layout, outside pyplot (thread-safe)."""
    return Figure(figsize=(width, height), dpi=110, layout="constrained")


def save_figure(fig: Figure, path: Path) -> Path:
    """Write ``fig`` atomically in the format of ``path``'s suffix."""
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip("."))
    return path
