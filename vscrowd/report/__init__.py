"""The evaluation report: one self-contained HTML page per run (``vscrowd report``,
``vscrowd eval --report``) and a side-by-side page of several runs (``vscrowd compare``).

Names load on first use (see :mod:`vscrowd._lazy`).
"""

from .._lazy import lazy_exports

_EXPORTS = {
    "FrameStats": ".framestats",
    "ReportInputs": ".page",
    "TABLE_II": ".paper",
    "TABLE_XII": ".paper",
    "compare_runs": ".compare",
    "frame_stats": ".framestats",
    "read_results": ".build",
    "report_from_files": ".build",
    "report_from_result": ".build",
    "write_comparison": ".compare",
    "write_report": ".page",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "FrameStats",
    "ReportInputs",
    "TABLE_II",
    "TABLE_XII",
    "compare_runs",
    "frame_stats",
    "read_results",
    "report_from_files",
    "report_from_result",
    "write_comparison",
    "write_report",
]
