"""VIC breakdowns as DRNet prints them: every metric per group of SenseCrowd videos.

The groups and their order are those of DRNet's ``test_SENSE.py`` (taohan10200/DRNet @
3e81218, also ``results/LOI_SENSE_metric.py``): ``all``; ``in``/``out`` (scene label
column 0 = 0/1); ``day``/``night`` (column 1); ``scenic0`` ... ``scenic5`` (column 2);
``density0`` ... ``density4`` (column 3). DRNet's density column bins each video's
number of distinct person IDs (``datasets/dataset_prepare/info.json``, written by
``video_vis.py``) in :data:`DENSITY_BINS` (``scene_label.py``); a video with 400 or more
people falls in no bin there.

:func:`format_drnet` writes the groups in DRNet's printout layout (``MSE`` is DRNet's
name for the RMSE; WRAE in percent; ``WIAE``/``WOAE`` are MIAE/MOAE), so the lines can be
compared one by one with a saved printout such as DRNet's ``results/sense_result_CFM``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = ["DENSITY_BINS", "GROUPS", "format_drnet", "group_metrics"]

#: DRNet's density bins: ``[lo, hi)`` of a video's distinct people, label 0 ... 4.
DENSITY_BINS: tuple[tuple[int, int], ...] = ((0, 50), (50, 100), (100, 150), (150, 200),
                                             (200, 400))

#: ``(group, scene label column, value)`` in DRNet's order; ``all`` has no column.
GROUPS: tuple[tuple[str, int | None, int | None], ...] = (
    ("all", None, None), ("in", 0, 0), ("out", 0, 1), ("day", 1, 0), ("night", 1, 1),
    *((f"scenic{k}", 2, k) for k in range(6)),
    *((f"density{k}", 3, k) for k in range(len(DENSITY_BINS))),
)


def _summary(err: np.ndarray, g: np.ndarray, t: np.ndarray,
             flows: Sequence[tuple[np.ndarray, np.ndarray] | None]) -> dict[str, float | None]:
    """MAE, RMSE, WRAE (None when a frame count is unknown), MIAE/MOAE (None without
    per-pair flows) of one set of videos; all None for an empty set."""
    if not len(err):
        return dict.fromkeys(("MAE", "RMSE", "WRAE", "MIAE", "MOAE"))
    wrae = None
    if (t > 0).all():
        with np.errstate(divide="ignore", invalid="ignore"):
            wrae = float(np.sum(np.where(g > 0, err / g, 0.0) * t / t.sum()))
    known = [f for f in flows if f is not None]
    miae = moae = None
    if known and sum(len(i) for i, _ in known):
        miae = float(np.mean(np.concatenate([i for i, _ in known])))
        moae = float(np.mean(np.concatenate([o for _, o in known])))
    return {"MAE": float(err.mean()), "RMSE": float(np.sqrt(np.mean(err ** 2))),
            "WRAE": wrae, "MIAE": miae, "MOAE": moae}


def group_metrics(videos: Sequence[str], err: np.ndarray, gt: np.ndarray,
                  frames: np.ndarray, flows: Sequence[tuple[np.ndarray, np.ndarray] | None],
                  labels: Mapping[str, Sequence[int] | None]) -> dict[str, dict]:
    """``{group: {"videos": n, "MAE", "RMSE", "WRAE", "MIAE", "MOAE"}}`` for the groups
    of :data:`GROUPS` (``flows``: per video the absolute inflow and outflow errors of
    its pairs, or None). Videos without labels enter only ``all``."""
    out = {}
    for name, col, value in GROUPS:
        if col is None:
            sel = np.ones(len(videos), bool)
        else:
            sel = np.array([bool(lab) and col < len(lab) and lab[col] == value
                            for lab in (labels.get(v) for v in videos)], bool)
        idx = np.flatnonzero(sel)
        out[name] = {"videos": int(len(idx)),
                     **_summary(err[idx], gt[idx], frames[idx], [flows[i] for i in idx])}
    return out


def _drnet_value(v: float | None, scale: float = 1.0, empty: bool = False) -> str:
    if empty:
        return "nan"  # DRNet's torch.mean of no videos
    return "n/a" if v is None else f"{v * scale:.2f}"


def format_drnet(groups: Mapping[str, Mapping[str, float | None]]) -> str:
    """The groups in DRNet's printout layout, two lines per group::

        ==================== all ====================
        MAE: 9.25, MSE: 16.49  WRAE: 12.12 WIAE: 1.96 WOAE: 2.04

    A metric the input does not allow is ``n/a``; an empty group prints ``nan`` as
    DRNet does.
    """
    lines = []
    for name, m in groups.items():
        lines.append(f"{'=' * 20} {name} {'=' * 20}")
        e = not m.get("videos")
        lines.append(f"MAE: {_drnet_value(m['MAE'], 1, e)}, MSE: {_drnet_value(m['RMSE'], 1, e)}"
                     f"  WRAE: {_drnet_value(m['WRAE'], 100, e)} "
                     f"WIAE: {_drnet_value(m['MIAE'], 1, e)} WOAE: {_drnet_value(m['MOAE'], 1, e)}")
    return "\n".join(lines)
