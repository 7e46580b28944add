"""HTML building blocks of the report pages: sortable tables, inline SVG charts and the
page shell. Everything is inline (CSS, JS, SVG, images as data URIs): the page opens
from disk with no server and no network.

Tables sort by a click on a header, or from the address: ``index.html?sort=TABLE:COL``
(``:desc`` for descending; e.g. ``?sort=t-per-video:6:desc``, most missed heads first),
so a sorted view can be linked to."""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["PALETTE", "cell_text", "esc", "line_chart", "page", "section", "table"]

#: Series colours (Okabe-Ito, colour-blind safe).
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442",
           "#000000")

_RATIO_PREFIXES = ("AP", "AR", "mAP", "mAR", "precision", "recall", "HOTA", "DetA", "AssA",
                   "LocA", "MOTA", "MOTP", "IDF1", "IDP", "IDR", "WRAE")

_CSS = """
body{font:14px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1b1b1b}
header{background:#16324f;color:#fff;padding:14px 24px}header h1{margin:0;font-size:20px}
header p{margin:4px 0 0;opacity:.85}nav{padding:6px 24px;background:#eef2f6;position:sticky;
top:0;z-index:2}nav a{margin-right:14px;color:#16324f}main{padding:0 24px 40px}
section{margin:26px 0}h2{font-size:17px;border-bottom:1px solid #ccd;padding-bottom:3px}
table{border-collapse:collapse;margin:8px 0;font-variant-numeric:tabular-nums}
th,td{padding:3px 9px;border-bottom:1px solid #e3e6ea;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left}th{background:#f5f7f9;position:sticky;top:32px}
table.sortable th{cursor:pointer}table.sortable th:after{content:" \\2195";color:#99a}
tr.ref td{color:#555;background:#fafafa}tr.run td{font-weight:600}
td.better{background:#dff3e4}td.worse{background:#fbe3e1}.scroll th{top:0}.scroll{max-height:480px;
overflow:auto;display:inline-block;border:1px solid #e3e6ea}.charts{display:flex;
flex-wrap:wrap;gap:12px}.charts figure{margin:0}figcaption{font-size:12px;color:#444}
.gallery{display:flex;flex-wrap:wrap;gap:14px}.gallery figure{margin:0;width:420px}
.gallery img{width:100%;border:1px solid #ccd}.note{color:#555;font-size:13px}
#page-errors:empty{display:none}#page-errors{color:#b00;white-space:pre}
"""

_JS = """
window.addEventListener('error',function(e){var d=document.getElementById('page-errors');
if(d){d.textContent+='error: '+e.message+'\\n';}});
function sortTable(th){var t=th.closest('table'),i=Array.prototype.indexOf.call(
th.parentNode.children,th),b=t.tBodies[0],rows=Array.prototype.slice.call(b.rows),
d=th.dataset.dir==='asc'?'desc':'asc';th.dataset.dir=d;rows.sort(function(x,y){
var a=x.cells[i].dataset.v,c=y.cells[i].dataset.v,na=parseFloat(a),nc=parseFloat(c),r;
if(!isNaN(na)&&!isNaN(nc)){r=na-nc;}else if(isNaN(na)!==isNaN(nc)){r=isNaN(na)?1:-1;
return r;}else{r=String(a).localeCompare(String(c));}return d==='asc'?r:-r;});
rows.forEach(function(r){b.appendChild(r);});}
document.addEventListener('DOMContentLoaded',function(){
document.querySelectorAll('table.sortable th').forEach(function(th){
th.addEventListener('click',function(){sortTable(th);});});
var m=/[?&]sort=([^:&]+):(\\d+)(?::(asc|desc))?/.exec(location.search);if(m){
var t=document.getElementById(decodeURIComponent(m[1]));if(t){var th=t.tHead.rows[0].cells[
+m[2]];if(th){sortTable(th);if(m[3]==='desc'){sortTable(th);}}}}
document.body.setAttribute('data-ready','1');});
"""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _is_ratio(col: str) -> bool:
    return str(col).startswith(_RATIO_PREFIXES)


def cell_text(col: str, v: Any) -> str:
    """A table cell: ratios as percentages, counts as integers, other numbers short."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "n/a"
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return str(v)
    if _is_ratio(col) and isinstance(v, float):
        return f"{100 * v:.2f}"
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.3f}"


def table(columns: Sequence[str], rows: Sequence[Sequence[Any]], *, sortable: bool = True,
          table_id: str | None = None, row_class: Sequence[str] | None = None,
          cell_class: Callable[[int, int], str] | None = None,
          links: Sequence[str | None] | None = None) -> str:
    """An HTML table; each cell keeps its raw value in ``data-v`` (sorting), the first
    cell links to ``links[row]`` when given."""
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = []
    for r, row in enumerate(rows):
        cells = []
        for c, (col, v) in enumerate(zip(columns, row)):
            text = esc(cell_text(col, v))
            if c == 0 and links is not None and links[r]:
                text = f'<a href="{esc(links[r])}">{text}</a>'
            raw = "" if v is None else (v if isinstance(v, str) else repr(float(v))
                                        if isinstance(v, (int, float)) else str(v))
            cls = cell_class(r, c) if cell_class else ""
            cells.append(f'<td data-v="{esc(raw)}"' + (f' class="{cls}"' if cls else "")
                         + f">{text}</td>")
        rc = f' class="{row_class[r]}"' if row_class and row_class[r] else ""
        body.append(f"<tr{rc}>{''.join(cells)}</tr>")
    attrs = (' class="sortable"' if sortable else "") + (f' id="{esc(table_id)}"'
                                                         if table_id else "")
    return (f"<table{attrs}><thead><tr>{head}</tr></thead><tbody>{''.join(body)}"
            "</tbody></table>")


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    step = (hi - lo) / n if hi > lo else 1.0
    mag = 10 ** math.floor(math.log10(step))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= step), default=step)
    start = math.ceil(lo / step) * step
    return [start + i * step for i in range(int((hi - start) / step + 1e-9) + 1)]


def line_chart(series: Sequence[tuple[str, Sequence[float], Sequence[float]]], *,
               width: int = 420, height: int = 220, xlabel: str = "", ylabel: str = "",
               ylim: tuple[float, float] | None = None, xlim: tuple[float, float] | None = None
               ) -> str:
    """An inline SVG line chart of ``(label, xs, ys)`` series with axes and a legend."""
    L, R, T, B = 46, 10, 10, 34
    xs_all = [x for _, xs, _ in series for x in xs] or [0.0, 1.0]
    ys_all = [y for _, _, ys in series for y in ys] or [0.0, 1.0]
    x0, x1 = xlim or (min(xs_all), max(xs_all))
    y0, y1 = ylim or (min(0.0, min(ys_all)), max(ys_all) * 1.05 or 1.0)
    x1, y1 = (x1 if x1 > x0 else x0 + 1), (y1 if y1 > y0 else y0 + 1)
    sx = lambda x: L + (x - x0) / (x1 - x0) * (width - L - R)  # noqa: E731
    sy = lambda y: height - B - (y - y0) / (y1 - y0) * (height - T - B)  # noqa: E731
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" role="img">',
           f'<rect x="{L}" y="{T}" width="{width - L - R}" height="{height - T - B}" '
           'fill="#fff" stroke="#bbb"/>']
    for t in _ticks(y0, y1, 4):
        out.append(f'<text x="{L - 4}" y="{sy(t) + 4:.1f}" font-size="10" '
                   f'text-anchor="end">{t:g}</text>')
    for t in _ticks(x0, x1, 5):
        out.append(f'<text x="{sx(t):.1f}" y="{height - B + 13}" font-size="10" '
                   f'text-anchor="middle">{t:g}</text>')
    out.append(f'<text x="{(L + width - R) / 2}" y="{height - 4}" font-size="11" '
               f'text-anchor="middle">{esc(xlabel)}</text>')
    out.append(f'<text x="11" y="{(T + height - B) / 2}" font-size="11" text-anchor="middle" '
               f'transform="rotate(-90 11 {(T + height - B) / 2})">{esc(ylabel)}</text>')
    for k, (label, xs, ys) in enumerate(series):
        col = PALETTE[k % len(PALETTE)]
        pts = " ".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in zip(xs, ys))
        out.append(f'<polyline fill="none" stroke="{col}" stroke-width="1.6" points="{pts}"/>')
        out.append(f'<text x="{L + 8}" y="{T + 14 + 13 * k}" font-size="11" fill="{col}">'
                   f"{esc(label)}</text>")
    out.append("</svg>")
    return "".join(out)


def section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{esc(anchor)}"><h2>{esc(title)}</h2>{body}</section>'


def page(title: str, subtitle: str, sections: Sequence[tuple[str, str, str]]) -> str:
    """The whole page: ``sections`` are ``(anchor, title, body html)``."""
    nav = "".join(f'<a href="#{esc(a)}">{esc(t)}</a>' for a, t, _ in sections)
    body = "".join(section(a, t, b) for a, t, b in sections)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<meta name=\"viewport\" content=\"width=device-width\"><title>{esc(title)}"
            f"</title><style>{_CSS}</style><script>{_JS}</script></head><body>"
            f"<header><h1>{esc(title)}</h1><p>{esc(subtitle)}</p></header><nav>{nav}</nav>"
            f'<main><div id="page-errors"></div>{body}</main></body></html>\n')
