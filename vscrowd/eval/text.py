"""Text rendering shared by the families' output lines: aligned tables or Markdown,
percentages and numbers (``n/a`` where a value is undefined)."""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["csv_value", "num", "pct", "render", "table_rows"]


def pct(v) -> str:
    """A ratio as a percentage with two decimals."""
    return "n/a" if v is None or (isinstance(v, float) and np.isnan(v)) else f"{100 * v:.2f}"


def num(v) -> str:
    return "n/a" if v is None else f"{v:.3f}"


def csv_value(v) -> str:
    return "" if v is None else repr(v)


def render(rows: list[list[str]], fmt: str) -> list[str]:
    """Rows of cells (the first is the header) as an aligned table, Markdown or CSV."""
    if fmt == "csv":
        return [",".join(r) for r in rows]
    if fmt == "markdown":
        out = ["| " + " | ".join(rows[0]) + " |", "|" + "|".join("---" for _ in rows[0]) + "|"]
        return out + ["| " + " | ".join(r) + " |" for r in rows[1:]]
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]


def table_rows(df: pd.DataFrame) -> list[list[str]]:
    """A DataFrame as text rows: ratios as percentages, other numbers compactly."""
    def cell(col: str, v) -> str:
        if v is None or v is pd.NA:  # undefined (a video without heads has no mAP)
            return "n/a"
        if isinstance(v, (float, np.floating)):
            return pct(v) if col.startswith(("AP", "AR", "mAP", "mAR")) else num(v)
        return str(v)

    return [list(map(str, df.columns))] + [[cell(c, v) for c, v in zip(df.columns, row)]
                                           for row in df.itertuples(index=False)]
