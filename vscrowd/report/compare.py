"""``vscrowd compare A.json B.json ...``: several runs side by side, one table, each
difference from the first run marked better or worse (the view of ablations such as
the paper's Tables XIII-XIV)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from .build import read_results
from .html import cell_text, esc, page, table
from .output import report_folder

__all__ = ["compare_runs", "format_comparison", "write_comparison"]

_LOWER_IS_BETTER = ("MAE", "RMSE", "NAE", "IDSW", "Frag", "WRAE", "MIAE", "MOAE")
_TRACK = ("HOTA", "MOTA", "IDF1", "IDSW")
_RATIOS = ("AP", "AR", "mAP", "mAR", "HOTA", "MOTA", "IDF1", "WRAE")  # shown in %


def _is_ratio(metric: str) -> bool:
    words = metric.split(" ")
    name = words[-1] if words[0] in ("tracking", "VIC") else words[0]
    return words[0] != "count" and name.startswith(_RATIOS)


def _metrics(doc: dict[str, Any]) -> dict[str, float | None]:
    """The comparable numbers of one results file, by row name."""
    out: dict[str, float | None] = {}
    for r in doc.get("localization", []):
        for k in ("AP.50", "AP.75", "mAP", "AR.50", "AR.75", "mAR"):
            out[f"{k} σ={r['sigma']}"] = r.get(k)
    for k in ("MAE", "RMSE", "NAE"):
        if doc.get("counting"):
            out[f"count {k}"] = doc["counting"].get(k)
    for k in _TRACK:
        if doc.get("tracking"):
            out[f"tracking {k}"] = doc["tracking"].get(k)
    for name, v in (doc.get("video_counting") or {}).items():
        for k in ("MAE", "WRAE"):
            out[f"VIC {name} {k}"] = v.get(k)
    return out


def compare_runs(paths: Sequence[str | Path], names: Sequence[str] | None = None
                 ) -> tuple[list[str], list[list[Any]]]:
    """``(columns, rows)``: a row per metric, a column per run, then a difference
    column per run after the first."""
    if len(paths) < 2:
        raise ConfigError("expected two or more results files to compare")
    names = list(names or [Path(p).stem for p in paths])
    if len(names) != len(paths) or len(set(names)) != len(names):
        raise ConfigError(f"expected one distinct name per run, got {names}")
    runs = [_metrics(read_results(p)) for p in paths]
    keys = list(dict.fromkeys(k for r in runs for k in r))
    cols = ["metric", *names, *[f"Δ {n}" for n in names[1:]]]
    rows = []
    for k in keys:
        vals = [r.get(k) for r in runs]
        base = vals[0]
        diffs = [None if v is None or base is None else v - base for v in vals[1:]]
        rows.append([k, *vals, *diffs])
    return cols, rows


def _direction(metric: str) -> int:
    return -1 if any(metric.endswith(k) for k in _LOWER_IS_BETTER) else 1


def format_comparison(cols: list[str], rows: list[list[Any]]) -> str:
    """The comparison as an aligned text table (percentages for ratios)."""
    out = [cols]
    for r in rows:
        ratio = _is_ratio(r[0])
        cells = [r[0]]
        for c, v in zip(cols[1:], r[1:]):
            if v is None:
                cells.append("n/a")
            elif ratio:
                cells.append(f"{100 * v:+.2f}" if c.startswith("Δ") else f"{100 * v:.2f}")
            else:
                cells.append(f"{v:+.3f}" if c.startswith("Δ") else cell_text("x", v))
        out.append(cells)
    widths = [max(len(str(r[i])) for r in out) for i in range(len(cols))]
    return "\n".join("  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                               for i, (c, w) in enumerate(zip(r, widths))) for r in out)


def write_comparison(paths: Sequence[str | Path], out: str | Path, *,
                     names: Sequence[str] | None = None, overwrite: bool = False) -> Path:
    """Write ``out/index.html``: the comparison table (sortable; differences from the
    first run coloured green when better, red when worse)."""
    cols, rows = compare_runs(paths, names)
    n = len(cols) // 2  # runs: 1 + n + (n - 1) columns

    def cls(r: int, c: int) -> str:
        if c <= n:
            return ""
        d = rows[r][c]
        if d is None or abs(d) < 1e-12:
            return ""
        return "better" if d * _direction(rows[r][0]) > 0 else "worse"

    display = [[r[0], *[_pct_or_num(r[0], v) for v in r[1:]]] for r in rows]
    body = ("<p class=note>Ratios in %. Δ: difference from the first run "
            f"({esc(cols[1])}); green better, red worse.</p>"
            + table(cols, display, table_id="t-compare", cell_class=cls))
    files = "<ul>" + "".join(f"<li>{esc(c)}: {esc(Path(p).resolve())}</li>"
                              for c, p in zip(cols[1:n + 1], paths)) + "</ul>"
    html = page("vscrowd comparison", ", ".join(cols[1:n + 1]),
                [("comparison", "Comparison", body), ("runs", "Runs", files)])
    with report_folder(out, overwrite) as tmp:
        (tmp / "index.html").write_text(html, encoding="utf-8")
    return Path(out) / "index.html"


def _pct_or_num(metric: str, v):
    """Ratios shown as percentages (as numbers, so the table still sorts)."""
    if v is None or not _is_ratio(metric):
        return v
    return round(100 * v, 4)
