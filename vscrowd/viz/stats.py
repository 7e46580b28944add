"""Dataset statistics: the paper's Table I per split, and a per-video table."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..datasets.vscrowd import VSCrowd

__all__ = ["format_table", "head_sizes", "per_video", "summary", "track_lengths"]


def head_sizes(heads: pd.DataFrame) -> np.ndarray:
    """Head size in px: sqrt of the head-shoulder box area, ``(N,)`` float64."""
    w = (heads["x2"] - heads["x1"]).to_numpy(np.float64)
    h = (heads["y2"] - heads["y1"]).to_numpy(np.float64)
    return np.sqrt(np.clip(w, 0, None) * np.clip(h, 0, None))


def track_lengths(heads: pd.DataFrame) -> pd.Series:
    """Frames per trajectory (distinct ``(video, head_id)``)."""
    return heads.groupby(["video", "head_id"], observed=True).size()


def _resolution(videos: pd.DataFrame) -> str:
    sizes = sorted({f"{int(w)}x{int(h)}" for w, h in zip(videos["width"], videos["height"])
                    if not pd.isna(w)}, key=lambda s: -int(s.split("x")[0]))
    return ", ".join(sizes) if sizes else "unknown"


def _row(name: str, ds: VSCrowd) -> dict:
    fr, h = ds.frames, ds.heads
    per_frame = fr["n_heads"].to_numpy()
    tl = track_lengths(h)
    sz = head_sizes(h)
    pct = np.percentile(sz, [5, 50, 95]) if len(sz) else [np.nan] * 3
    return {
        "split": name,
        "resolution": _resolution(ds.videos),
        "videos": len(ds.videos),
        "frames": len(fr),
        "annotations": len(h),
        "boxes": len(h),
        "min_per_frame": int(per_frame.min()) if len(fr) else 0,
        "max_per_frame": int(per_frame.max()) if len(fr) else 0,
        "avg_per_frame": float(per_frame.mean()) if len(fr) else float("nan"),
        "trajectories": len(tl),
        "track_len_mean": float(tl.mean()) if len(tl) else float("nan"),
        "track_len_median": float(tl.median()) if len(tl) else float("nan"),
        "head_size_p5": float(pct[0]),
        "head_size_p50": float(pct[1]),
        "head_size_p95": float(pct[2]),
    }


def summary(ds: VSCrowd) -> pd.DataFrame:
    """Table I of the VSCrowd paper: one row per split and one for all (``"all"``).

    Columns: ``split, resolution, videos, frames, annotations, boxes,
    min/max/avg_per_frame, trajectories, track_len_mean/median`` (frames) and
    ``head_size_p5/p50/p95`` (px, sqrt of box area).

    Example:
        >>> import tempfile
        >>> from vscrowd import synthesize, VSCrowd
        >>> ds = VSCrowd(synthesize(tempfile.mkdtemp() + "/d", videos=2, frames=2,
        ...                         size=(64, 48)))
        >>> summary(ds)["split"].tolist()
        ['train', 'test', 'all']
    """
    rows = [_row(s, ds.select(split=s)) for s in ds.splits]
    rows.append(_row("all", ds))
    return pd.DataFrame(rows)


def per_video(ds: VSCrowd) -> pd.DataFrame:
    """One row per video: split, size, frames, heads, min/max/avg per frame, tracks."""
    fr, h = ds.frames, ds.heads
    g = fr.groupby("video", observed=True)["n_heads"]
    tracks = h.groupby("video", observed=True)["head_id"].nunique()
    sizes = pd.Series(head_sizes(h), index=h.index).groupby(h["video"], observed=True).median()
    out = ds.videos[["video", "split", "width", "height", "n_frames", "n_heads"]].copy()
    out["min_per_frame"] = out["video"].map(g.min()).fillna(0).astype(int)
    out["max_per_frame"] = out["video"].map(g.max()).fillna(0).astype(int)
    out["avg_per_frame"] = out["video"].map(g.mean()).astype(float)
    out["trajectories"] = out["video"].map(tracks).fillna(0).astype(int)
    out["head_size_median"] = out["video"].map(sizes).astype(float)
    return out


def format_table(df: pd.DataFrame, fmt: str = "table") -> str:
    """Render a stats table as aligned text, Markdown or CSV."""
    if fmt == "csv":
        return df.to_csv(index=False)
    shown = df.copy()
    for c in shown.columns:
        if shown[c].dtype.kind == "f":
            shown[c] = shown[c].map(lambda v: "" if pd.isna(v) else f"{v:.1f}")
    if fmt == "markdown":
        cols = [str(c) for c in shown.columns]
        lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
        lines += ["| " + " | ".join(str(v) for v in r) + " |" for r in shown.itertuples(
            index=False)]
        return "\n".join(lines)
    if fmt != "table":
        raise ValueError(f"expected format table, markdown or csv, got {fmt!r}")
    return shown.to_string(index=False)
