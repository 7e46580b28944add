"""The front doors of the report: from an evaluation in memory (``vscrowd eval
--report``) or from a results file (``vscrowd report RESULTS.json``)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .._text import read_json
from ..errors import PredictionFormatError
from .framestats import frame_stats
from .page import ReportInputs, write_report

__all__ = ["read_results", "report_from_files", "report_from_result"]


def read_results(path: str | Path) -> dict[str, Any]:
    """An ``vscrowd eval --json`` file; anything else is named and refused."""
    path = Path(path)
    if path.is_file():
        with open(path, "rb") as fh:
            first = fh.readline(65536).strip()
        if first.startswith(b"{") and b'"format"' in first and first.endswith(b"}"):
            try:  # a JSON Lines file (predictions) names its format on the first line
                fmt = json.loads(first).get("format")
            except ValueError:
                fmt = None
            if fmt:
                raise PredictionFormatError(
                    f"this is a {fmt!r} file, not evaluation results; write those with "
                    "vscrowd eval PREDS --data ROOT --json RESULTS.json", path=path,
                    field="format")
    doc = read_json(path, PredictionFormatError, "results file")
    if isinstance(doc, dict) and "format" in doc:
        raise PredictionFormatError(
            f"this is a {doc['format']!r} file, not evaluation results; write those with "
            "vscrowd eval PREDS --data ROOT --json RESULTS.json", path=path, field="format")
    if isinstance(doc, list) or not isinstance(doc, dict) or "frames" not in doc or not (
            "localization" in doc or "counting" in doc):
        raise PredictionFormatError("expected the JSON written by vscrowd eval --json (keys "
                                    "'localization', 'counting', 'frames')", path=path)
    return doc


def _scene_labels(ds) -> Mapping | None:
    if ds is not None and "scene_labels" in ds.videos:
        return dict(zip(ds.videos["video"], ds.videos["scene_labels"]))
    return None


def _stats_sigma(doc) -> float:
    sig = [float(r["sigma"]) for r in doc.get("localization", [])]
    return 20.0 if 20.0 in sig or not sig else sig[0]


def report_from_result(result, gt, preds, out: str | Path, *, name: str = "run",
                       overwrite: bool = False, gallery: int = 6) -> Path:
    """The page of an :class:`~vscrowd.eval.EvaluationResult` of ``preds`` on ``gt``: a
    :class:`~vscrowd.eval.GroundTruth`, or the (selected) VSCrowd scored, which adds
    overlays of the worst frames and links to the frame images."""
    from ..datasets.vscrowd import VSCrowd
    from ..eval import GroundTruth

    ds = gt if isinstance(gt, VSCrowd) else None
    if ds is not None:
        gt = GroundTruth.from_dataset(ds)
    doc = result.to_dict()
    threshold = result.counting.threshold if result.counting is not None else 0.5
    stats = frame_stats(gt, preds, sigma=_stats_sigma(doc), threshold=threshold)
    curves = {float(r.sigma): r.precision for r in result.localization}
    inp = ReportInputs(doc, curves, stats, ds, preds, _scene_labels(ds), name)
    return write_report(inp, out, overwrite=overwrite,
                        data_root=ds.root if ds is not None else None, gallery=gallery)


def report_from_files(results: str | Path, out: str | Path, *, preds: str | Path | None = None,
                      ds=None, split: str | None = "test", name: str | None = None,
                      overwrite: bool = False, gallery: int = 6) -> Path:
    """The page of a results file; with ``preds`` and ``ds`` (a VSCrowd) also the
    precision-recall curves, per-frame sections and the worst-frames gallery."""
    doc = read_results(results)
    name = name or Path(results).stem
    if preds is None or ds is None:
        return write_report(ReportInputs(doc, name=name), out, overwrite=overwrite,
                            data_root=ds.root if ds is not None else None, gallery=gallery)
    from ..eval import GroundTruth, evaluate, read_predictions

    p = read_predictions(preds)
    gt = GroundTruth.from_dataset(ds, None if split == "all" else split)
    sig = [float(r["sigma"]) for r in doc.get("localization", [])] or [20.0]
    loc = evaluate(gt, p, sigmas=sig, metrics=("sigma",), ignore_unknown=True).localization
    stats = frame_stats(gt, p, sigma=_stats_sigma(doc),
                        threshold=(doc.get("counting") or {}).get("count_threshold", 0.5))
    inp = ReportInputs(doc, {float(r.sigma): r.precision for r in loc}, stats, ds, p,
                       _scene_labels(ds), name)
    return write_report(inp, out, overwrite=overwrite, data_root=ds.root, gallery=gallery)
