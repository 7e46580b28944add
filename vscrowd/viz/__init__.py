"""Looking at data and results: statistics tables, plots and overlays.
Names load on first use.
"""

from .._lazy import lazy_exports

_EXPORTS = {
    "FrameOverlay": ".show",
    "PLOTS": ".plots",
    "count_curves": ".plots",
    "density_heatmap": ".plots",
    "format_table": ".stats",
    "head_size_hist": ".plots",
    "head_sizes": ".stats",
    "heads_per_frame_hist": ".plots",
    "per_video": ".stats",
    "plot_all": ".plots",
    "plot_pr_curves": ".plots",
    "render_frame": ".show",
    "size_vs_y": ".plots",
    "summary": ".stats",
    "track_length_hist": ".plots",
    "track_lengths": ".stats",
    "write_clip": ".show",
    "write_overlay": ".show",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "FrameOverlay",
    "PLOTS",
    "count_curves",
    "density_heatmap",
    "format_table",
    "head_size_hist",
    "head_sizes",
    "heads_per_frame_hist",
    "per_video",
    "plot_all",
    "plot_pr_curves",
    "render_frame",
    "size_vs_y",
    "summary",
    "track_length_hist",
    "track_lengths",
    "write_clip",
    "write_overlay",
]
