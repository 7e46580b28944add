"""Figures: the paper's Fig. 2 distributions, perspective, tracks, density heat maps,
and precision-recall curves. The one plotting module of vscrowd.

Figures are built with :class:`matplotlib.figure.Figure` (no pyplot, no GUI backend),
so they work headless, and are saved atomically.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.figure import Figure

from .._io import ensure_folder
from ..datasets.vscrowd import VSCrowd
from ..errors import ConfigError
from ..eval.pr_curves import plot_pr_curves
from ..figures import FigureFormat, new_figure, save_figure
from .stats import head_sizes, track_lengths

if TYPE_CHECKING:  # pragma: no cover
    pass

__all__ = ["PLOTS", "count_curves", "density_heatmap", "head_size_hist", "heads_per_frame_hist",
           "plot_all", "plot_pr_curves", "size_vs_y", "track_length_hist"]

_SPLIT_COLORS = {"train": "#1f77b4", "test": "#d62728", "val": "#2ca02c"}


def _by_split(ds: VSCrowd):
    for split in ds.splits:
        yield split, ds.select(split=split), _SPLIT_COLORS.get(split)


def _split_hist(ds: VSCrowd, values: Callable[[VSCrowd], np.ndarray], bins: np.ndarray,
                label: Callable[[str, VSCrowd], str], xlabel: str, ylabel: str, title: str,
                density: bool = False, log: bool = False) -> Figure:
    """One histogram per split, overlaid."""
    fig = new_figure()
    ax = fig.add_subplot()
    for split, sub, color in _by_split(ds):
        ax.hist(values(sub), bins=bins, alpha=0.55, color=color, label=label(split, sub),
                density=density)
    if log:
        ax.set_yscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.legend()
    return fig


def heads_per_frame_hist(ds: VSCrowd) -> Figure:
    """Distribution of the number of heads per frame, splits overlaid (Fig. 2a)."""
    allc = ds.frames["n_heads"].to_numpy()
    return _split_hist(ds, lambda s: s.frames["n_heads"].to_numpy(),
                       np.linspace(0, max(1, allc.max(initial=0)), 31),
                       lambda split, s: f"{split} ({len(s.frames)} frames)",
                       "heads per frame", "share of frames (density)",
                       "Number of people per frame", density=True)


def head_size_hist(ds: VSCrowd) -> Figure:
    """Head-size distribution in px, splits overlaid, log-scaled counts (Fig. 2b)."""
    sz = head_sizes(ds.heads)
    top = max(1.0, np.percentile(sz, 99.5) if len(sz) else 1.0)
    return _split_hist(ds, lambda s: head_sizes(s.heads), np.linspace(0, top, 41),
                       lambda split, s: f"{split} ({len(s.heads)} heads)",
                       "head size (px, sqrt of head-shoulder box area)", "heads (log scale)",
                       "Head size distribution", log=True)


def size_vs_y(ds: VSCrowd) -> Figure:
    """Head size against image row: the perspective effect (median and 10-90% band)."""
    fig = new_figure()
    ax = fig.add_subplot()
    h = ds.heads
    if len(h):
        y = h["y"].to_numpy()
        sz = head_sizes(h)
        edges = np.linspace(y.min(), y.max() + 1e-9, 21)
        mid = (edges[:-1] + edges[1:]) / 2
        idx = np.clip(np.digitize(y, edges) - 1, 0, len(mid) - 1)
        stats = [np.percentile(sz[idx == i], [10, 50, 90]) if (idx == i).any()
                 else [np.nan] * 3 for i in range(len(mid))]
        stats = np.array(stats)
        sample = np.random.default_rng(0).choice(len(y), min(len(y), 4000), replace=False)
        ax.scatter(y[sample], sz[sample], s=2, alpha=0.25, color="grey", label="heads")
        ax.fill_between(mid, stats[:, 0], stats[:, 2], alpha=0.3, label="10-90%")
        ax.plot(mid, stats[:, 1], lw=2, label="median")
    ax.set_xlabel("head center y (px, 0 = top of the image)")
    ax.set_ylabel("head size (px)")
    ax.set_title("Perspective: head size vs. image row")
    ax.legend()
    return fig


def track_length_hist(ds: VSCrowd) -> Figure:
    """Distribution of trajectory lengths in frames, splits overlaid."""
    tl = track_lengths(ds.heads)
    bins = np.arange(0.5, max(2, int(tl.max()) if len(tl) else 2) + 1.5)
    return _split_hist(ds, lambda s: track_lengths(s.heads).to_numpy(), bins,
                       lambda split, s: split, "track length (frames)", "trajectories",
                       "Trajectory lengths")


def density_heatmap(ds: VSCrowd, video: str | None = None, bins: int = 64) -> Figure:
    """Where heads are: 2-D histogram of head centers over the image."""
    sub = ds.select(videos=video) if video else ds
    fig = new_figure(6.4, 4.0)
    ax = fig.add_subplot()
    w = sub.videos["width"].dropna()
    h = sub.videos["height"].dropna()
    W = float(w.max()) if len(w) else float(sub.heads["x"].max() or 1)
    H = float(h.max()) if len(h) else float(sub.heads["y"].max() or 1)
    rows = max(1, int(bins * H // W))
    hist, _, _ = np.histogram2d(sub.heads["y"], sub.heads["x"], bins=(rows, bins),
                                range=[[0, H], [0, W]])
    im = ax.imshow(hist, extent=(0, W, H, 0), cmap="magma", aspect="equal")
    fig.colorbar(im, ax=ax, label="heads per bin")
    ax.set_xlabel("x (px)")
    ax.set_ylabel("y (px)")
    ax.set_title(f"Head-center density ({video or 'all videos'})")
    return fig


def _cumulative_unique(frame_ids: list[np.ndarray]) -> np.ndarray:
    seen: set[int] = set()
    out = []
    for ids in frame_ids:
        seen.update(np.asarray(ids).tolist())
        out.append(len(seen))
    return np.asarray(out)


def count_curves(ds: VSCrowd, preds=None, max_videos: int = 6) -> Figure:
    """Cumulative number of distinct people over time, per video: ground truth (solid)
    and, with predictions that carry track IDs, predicted (dashed)."""
    fig = new_figure()
    ax = fig.add_subplot()
    if preds is not None and preds.track_id is None:
        raise ConfigError("count curves need predictions with track IDs (vscrowd track)")
    for i, video in enumerate(ds.videos["video"][:max_videos]):
        frames = list(ds.iter_frames(video))
        color = f"C{i % 10}"
        ax.plot(_cumulative_unique([fa.track_id for fa in frames]), color=color,
                label=f"{video} (GT)")
        if preds is not None:
            vid = preds.frames["video"].to_numpy()
            fr = preds.frames["frame"].to_numpy()
            rows = {f: r for r, (v, f) in enumerate(zip(vid, fr)) if v == video}
            per = [preds.track_id[preds.frame_index == rows[fa.frame]]
                   if fa.frame in rows else np.empty(0) for fa in frames]
            ax.plot(_cumulative_unique(per), color=color, linestyle="--")
    ax.set_xlabel("frame")
    ax.set_ylabel("distinct people so far")
    ax.set_title("Video individual counts over time" + (" (dashed: predicted)"
                                                         if preds is not None else ""))
    ax.legend(fontsize="small")
    return fig


#: Figure name -> builder, as written by :func:`plot_all`.
PLOTS: dict[str, Callable[[VSCrowd], Figure]] = {
    "heads_per_frame": heads_per_frame_hist,
    "head_size": head_size_hist,
    "size_vs_y": size_vs_y,
    "track_length": track_length_hist,
    "density": density_heatmap,
    "count_curves": count_curves,
}


def plot_all(ds: VSCrowd, out_dir: str | Path, fmt: FigureFormat = "png",
             video: str | None = None, preds=None) -> list[Path]:
    """Write every figure of :data:`PLOTS` to ``out_dir`` (and ``count_curves`` with
    predicted tracks when ``preds`` carry track IDs); returns the paths."""
    if fmt not in ("png", "svg", "pdf"):
        raise ConfigError(f"expected format png, svg or pdf, got {fmt!r}")
    # Every figure is built before any is written: an error leaves the folder untouched.
    options = {"density": {"video": video}, "count_curves": {"preds": preds}}
    figures = {name: build(ds, **options.get(name, {})) for name, build in PLOTS.items()}
    out_dir = ensure_folder(out_dir)
    return [save_figure(fig, out_dir / f"{name}.{fmt}") for name, fig in figures.items()]
