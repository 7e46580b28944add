"""``write_report``: one self-contained HTML page of an evaluation (``vscrowd report``
and ``vscrowd eval --report``)."""

from __future__ import annotations

import base64
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from ..eval.ap import RECALL_THRESHOLDS
from .framestats import FrameStats
from .html import esc, line_chart, page, table
from .output import report_folder
from .paper import TABLE_II, TABLE_XII
from .sections import tracking_sections

__all__ = ["ReportInputs", "write_report"]

_LOC = ("AP.50", "AP.75", "mAP", "AR.50", "AR.75", "mAR")


@dataclass(frozen=True)
class ReportInputs:
    """What a report shows. Only ``doc`` is required; the rest adds sections."""

    doc: Mapping[str, Any]  # EvaluationResult.to_dict() (or the eval --json file)
    curves: Mapping[float, np.ndarray] | None = None  # σ -> (10, 101) precision
    stats: FrameStats | None = None  # per-frame TP/FP/missed (vscrowd.report.frame_stats)
    ds: Any = None  # the VSCrowd, for overlays of the worst frames and links to frames
    preds: Any = None  # the Predictions drawn on those overlays
    scene_labels: Mapping[str, Sequence[int] | None] | None = None
    name: str = "run"


def _headline(doc) -> str:
    rows, cls = [], []
    for r in doc.get("localization", []):
        rows.append([f"this run ({r['sigma']})", r["sigma"], *[r[c] for c in _LOC]])
        cls.append("run")
    sigmas = {float(r["sigma"]) for r in doc.get("localization", [])}
    for ref in sorted(TABLE_II, key=lambda x: (x["sigma"], x["method"] != "GNANet")):
        if float(ref["sigma"]) in sigmas:
            rows.append([f"{ref['method']} (paper)", ref["sigma"], *[ref[c] for c in _LOC]])
            cls.append("ref")
    out = ("<p class=note>Bold: this run. Grey: the paper's Table II (Li et al., TIP 2022, "
           "VSCrowd test set) at the same σ. Percentages.</p>")
    out += table(["method", "σ", *_LOC], rows, row_class=cls, table_id="t-headline")
    c = doc.get("counting")
    if c:
        crow = [["this run", c.get("MAE"), c.get("RMSE"), c.get("frames")]]
        crow += [[f"{r['method']} (paper, Table XII)", r["MAE"], r["RMSE"], None]
                 for r in TABLE_XII]
        out += ("<p class=note>Counting (points with score ≥ "
                f"{esc(c.get('count_threshold', ''))}); RMSE is what papers print as MSE.</p>")
        out += table(["method", "MAE", "RMSE", "frames"], crow,
                     row_class=["run"] + ["ref"] * len(TABLE_XII), table_id="t-counting")
    out += (f"<p class=note>frames {esc(doc.get('frames'))}, GT points "
            f"{esc(doc.get('gt_points'))}, predicted points {esc(doc.get('pred_points'))}</p>")
    return out


def _curves(doc, curves) -> str:
    charts = []
    for r in doc.get("localization", []):
        s = float(r["sigma"])
        if curves is not None and curves.get(s) is not None:
            prec = curves[s]
            series = [(f"t={t:.2f} AP {100 * prec[i].mean():.1f}", RECALL_THRESHOLDS, prec[i])
                      for i, t in ((0, 0.5), (5, 0.75), (9, 0.95))]
            chart = line_chart(series, xlabel="recall", ylabel="precision", ylim=(0, 1.02),
                               xlim=(0, 1))
        elif r.get("AP"):
            ts = np.linspace(0.5, 0.95, len(r["AP"]))
            chart = line_chart([("AP", ts, r["AP"]), ("final recall", ts, r["AR"])],
                               xlabel="similarity threshold t", ylabel="AP / recall",
                               ylim=(0, 1.02))
        else:
            continue
        charts.append(f"<figure>{chart}<figcaption>σ = {s:g} px (mAP "
                      f"{100 * (r['mAP'] or 0):.1f})</figcaption></figure>")
    note = "" if curves else ("<p class=note>The results file holds AP per threshold, not "
                              "the curves: shown as AP and recall against t (give --preds "
                              "and --data for precision-recall curves).</p>")
    return note + f'<div class="charts">{"".join(charts)}</div>'


def _video_tables(inp: ReportInputs) -> list[tuple[str, str, str]]:
    out = []
    st = inp.stats
    pv = {r["video"]: r for r in inp.doc.get("per_video") or []}
    if st is not None:
        t = st.per_video()
        extra = sorted({k for r in pv.values() for k in r if k.startswith(("mAP@", "mAR@"))})
        cols = ["video", "frames", "gt", "pred", "tp", "fp", "missed", "precision", "recall",
                "MAE", *extra]
        rows = [[*(r[c] for c in cols[:-len(extra) or None]),
                 *(pv.get(r["video"], {}).get(k) for k in extra)] for _, r in t.iterrows()]
        body = (f"<p class=note>TP/FP/missed at σ = {st.sigma:g} px, t = 0.5, points "
                f"scoring ≥ {st.threshold:g}. Click a header to sort, a video for its "
                "frames.</p>")
        body += '<div class="scroll">' + table(
            cols, rows, table_id="t-per-video",
            links=[f"#v-{r['video']}" for _, r in t.iterrows()]) + "</div>"
        out.append(("per-video", "Per video", body))
        d = st.per_density()
        dcols = ["GT heads", "frames", "gt", "pred", "tp", "fp", "missed", "precision",
                 "recall", "MAE"]
        note = ("<p class=note>Each row links to the video of its largest count "
                "error.</p>")
        out.append(("per-density", "Per density (GT heads per frame)", note + table(
            dcols, d[dcols].to_numpy(object).tolist(), table_id="t-per-density",
            links=_worst_links(st, d))))
        if inp.scene_labels:
            sc = st.per_scene(inp.scene_labels)
            if len(sc):
                scols = ["scene", *dcols[1:]]
                out.append(("per-scene", "Per scene", note + table(
                    scols, sc[scols].to_numpy(object).tolist(), table_id="t-per-scene",
                    links=_worst_links(st, sc))))
    elif pv:
        cols = list(next(iter(pv.values())))
        out.append(("per-video", "Per video", '<div class="scroll">' + table(
            cols, [[r.get(c) for c in cols] for r in pv.values()], table_id="t-per-video")
            + "</div>"))
    return out


def _worst_links(st: FrameStats, groups) -> list[str]:
    """Anchor of the video holding each group's largest count error."""
    videos = st.table["video"]
    return [f"#v-{videos.loc[i]}" for i in groups["worst_frame"]]


def _frame_link(inp: ReportInputs, out_dir: Path, video: str, frame: str) -> str | None:
    if inp.ds is None:
        return None
    img = inp.ds.image_path(video, frame)
    return os.path.relpath(img, out_dir) if img.is_file() else None


def _counts_over_time(inp: ReportInputs, out_dir: Path) -> str:
    t = inp.stats.table
    blocks = []
    for video, g in t.groupby("video", sort=False):
        x = np.arange(1, len(g) + 1)
        chart = line_chart([("ground truth", x, g["gt"].to_numpy(float)),
                            ("predicted", x, g["pred"].to_numpy(float))],
                           width=360, height=160, xlabel="frame", ylabel="heads")
        worst = g.sort_values("abs_err", ascending=False, kind="stable").head(3)
        links = []
        for _, r in worst.iterrows():
            href = _frame_link(inp, out_dir, video, r["frame"])
            label = f"{r['frame']} (GT {r['gt']}, pred {r['pred']}, missed {r['missed']}, " \
                    f"FP {r['fp']})"
            links.append(f'<a href="{esc(href)}">{esc(label)}</a>' if href else esc(label))
        blocks.append(f'<figure id="v-{esc(video)}">{chart}<figcaption><b>{esc(video)}</b>'
                      f" — largest count errors: {'; '.join(links)}</figcaption></figure>")
    return f'<div class="charts">{"".join(blocks)}</div>'


def _overlay_uri(inp: ReportInputs, video: str, frame: str, sigma: float) -> str | None:
    from ..viz.show import render_frame

    try:
        ov = render_frame(inp.ds, video, frame, inp.preds, sigma=sigma,
                          score_threshold=inp.stats.threshold)
    except Exception:  # a missing image: the gallery lists the frame without a picture
        return None
    img = ov.image
    if img.shape[1] > 640:
        img = cv2.resize(img, (640, round(img.shape[0] * 640 / img.shape[1])),
                         interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, 80])
    return "data:image/jpeg;base64," + base64.b64encode(buf.tobytes()).decode() if ok \
        else None


def _gallery(inp: ReportInputs, out_dir: Path, k: int) -> str:
    parts = []
    for col, title in (("missed", "most missed heads"), ("fp", "most false positives")):
        figs = []
        for _, r in inp.stats.worst(col, k).iterrows():
            video, frame = r["video"], r["frame"]
            uri = _overlay_uri(inp, video, frame, inp.stats.sigma) \
                if inp.ds is not None and inp.preds is not None else None
            pic = f'<img alt="{esc(video)}/{esc(frame)}" src="{uri}">' if uri else ""
            href = _frame_link(inp, out_dir, video, frame)
            name = f'<a href="{esc(href)}">{esc(video)}/{esc(frame)}</a>' if href else \
                f"{esc(video)}/{esc(frame)}"
            figs.append(f'<figure id="f-{esc(video)}-{esc(frame)}">{pic}<figcaption>{name}: '
                        f"GT {r['gt']}, TP {r['tp']}, FP {r['fp']}, missed {r['missed']} "
                        f'(<a href="#v-{esc(video)}">video</a>)</figcaption></figure>')
        parts.append(f"<h3>{esc(title)}</h3><div class=\"gallery\">{''.join(figs)}</div>")
    legend = ("<p class=note>Overlays: filled blue dots true positives, red crosses false "
              "positives, magenta rings missed heads.</p>") if inp.ds is not None else (
              "<p class=note>No dataset root given: frames listed without overlays.</p>")
    return legend + "".join(parts)


def build_page(inp: ReportInputs, out_dir: Path, gallery: int = 6) -> str:
    """The page's HTML (see :func:`write_report`)."""
    doc = inp.doc
    sections = [("summary", "Summary", _headline(doc)),
                ("pr-curves", "Precision-recall per σ", _curves(doc, inp.curves))]
    sections += _video_tables(inp)
    if inp.stats is not None:
        sections.append(("counts-over-time", "Count over time per video",
                         _counts_over_time(inp, out_dir)))
    sections += tracking_sections(doc)
    if inp.stats is not None and gallery > 0:
        sections.append(("worst-frames", "Worst frames", _gallery(inp, out_dir, gallery)))
    sub = (f"{inp.name}: {doc.get('frames')} frames, σ = "
           + ", ".join(f"{r['sigma']}" for r in doc.get("localization", [])) + " px")
    return page(f"vscrowd evaluation report — {inp.name}", sub, sections)


def write_report(inp: ReportInputs, out: str | Path, *, overwrite: bool = False,
                 data_root: str | Path | None = None, gallery: int = 6) -> Path:
    """Write ``out/index.html`` (one page, opens offline) atomically; ``out`` is
    refused inside ``data_root`` (or any dataset root) and replaced only with
    ``overwrite`` when vscrowd wrote it."""
    out = Path(out)
    with report_folder(out, overwrite, data_root) as tmp:
        # Links to frames are relative to the final folder (same parent as tmp).
        text = build_page(inp, out.resolve(), gallery)
        (tmp / "index.html").write_text(text, encoding="utf-8")
    return out / "index.html"
