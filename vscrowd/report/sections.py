"""The tracking and video-individual-counting sections of the report (when present)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .html import table

__all__ = ["tracking_sections"]

_TRACK = ("HOTA", "DetA", "AssA", "LocA", "MOTA", "MOTP", "IDSW", "Frag", "IDF1", "IDP",
          "IDR")
_VIC = ("MAE", "RMSE", "WRAE", "MIAE", "MOAE")


def tracking_sections(doc: Mapping[str, Any]) -> list[tuple[str, str, str]]:
    """``(anchor, title, html)`` of the tracking and VIC results of ``doc``."""
    out = []
    t = doc.get("tracking")
    if t:
        body = (f"<p class=note>Point similarity {t.get('similarity')}, σ = "
                f"{t.get('sigma')} px; percentages except IDSW and Frag.</p>")
        body += table(_TRACK, [[t.get(k) for k in _TRACK]], sortable=False,
                      table_id="t-tracking")
        out.append(("tracking", "Tracking", body))
    vic = doc.get("video_counting")
    if vic:
        rows = [[name, *(v.get(k) for k in _VIC)] for name, v in vic.items()]
        body = ("<p class=note>Video individual counting: how many different people each "
                "video shows (WRAE in %).</p>")
        body += table(["protocol", *_VIC], rows, sortable=False, table_id="t-vic")
        per = [[name, r["video"], r.get("gt"), r.get("pred"), r.get("error")]
               for name, v in vic.items() for r in v.get("per_video", [])]
        if per:
            body += '<div class="scroll">' + table(["protocol", "video", "gt", "pred",
                                                    "error"], per, table_id="t-vic-per-video",
                                                   links=None) + "</div>"
        out.append(("vic", "Video individual counting", body))
    return out
