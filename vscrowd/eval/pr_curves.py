"""Precision-recall figures of an evaluation (``EvaluationResult.plot``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from .._io import ensure_folder
from ..figures import FigureFormat, new_figure, save_figure
from .ap import RECALL_THRESHOLDS
from .families.sigma import LocalizationResult

__all__ = ["plot_pr_curves"]


def plot_pr_curves(localization: Sequence[LocalizationResult], out_dir: str | Path,
                   fmt: FigureFormat = "png") -> list[Path]:
    """One precision-recall figure per σ (curves at t = 0.50, 0.75, 0.95), e.g. of
    ``evaluate(...).localization``; ``EvaluationResult.plot`` calls it."""
    out_dir = ensure_folder(out_dir)
    paths = []
    for res in localization:
        fig = new_figure()
        ax = fig.add_subplot()
        if res.precision is not None:
            for t in (0, 5, 9):
                ax.plot(RECALL_THRESHOLDS, res.precision[t],
                        label=f"t={res.thresholds[t]:.2f}  AP {100 * res.ap[t]:.1f}")
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.set_xlabel("recall")
        ax.set_ylabel("precision (interpolated)")
        ax.set_title(f"Precision-recall at σ = {res.sigma:g} px"
                     + ("" if res.map is None else f"  (mAP {100 * res.map:.1f})"))
        ax.legend(loc="lower left")
        paths.append(save_figure(fig, out_dir / f"pr_sigma{res.sigma:g}.{fmt}"))
    return paths
