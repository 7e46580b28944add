"""Published video-counting results scored as their authors scored them.

``vscrowd eval FILE`` recognises the file by content (:func:`sniff_results_file`):

* ``drnet`` -- DRNet's ``[pred, gt]`` array (``results/<k>_SENSE_cnt.py.npy``,
  taohan10200/DRNet ``test_SENSE.py``): no names, so the split list that orders its rows
  (DRNet's ``test.txt``) is required. Protocol ``drnet`` with the interval ``k`` of the
  file name. The file carries its own ground truth: without a dataset root that column
  is the truth (WRAE then needs frame counts, MIAE/MOAE per-pair flows: ``n/a``); with a
  root the truth is recomputed from the annotations (frames known: WRAE too) and rows
  whose saved truth differs are reported.
* ``cgnet`` -- CGNet/OMAN ``video_results_*.json`` (streamer-AP/CGNet ``eval.py``):
  ``{video: {"video_num", "frame_num"}}``; protocol ``unique`` over the videos of the
  file, WRAE weighted by the file's ``frame_num``; needs the dataset root.
* ``counts`` -- a ``vscrowd-video-counts`` file: both protocols over the split.
* ``points`` -- anything else: a point prediction file for :func:`vscrowd.eval.evaluate`.

Video names may be VSCrowd's or SenseCrowd's (translated by a name map).
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..datasets.naming import translate_labels, translate_list
from ..datasets.splits import identify_split, read_scene_labels, read_split_file
from ..datasets.vscrowd import VSCrowd
from ..errors import ConfigError, PredictionFormatError, VSCrowdWarning
from .groundtruth import GroundTruth
from .text import render
from .vic import (
    VICResult,
    VideoCount,
    load_drnet_array,
    read_cgnet_results,
    read_video_counts,
    vic_metrics,
)
from .vic_groups import format_drnet
from .video_scores import truth_counts

__all__ = ["KINDS", "VICReport", "score_results_file", "sniff_results_file"]

ResultsKind = Literal["points", "counts", "cgnet", "drnet"]
#: What each kind of results file is, as the reports name it.
KINDS: dict[str, str] = {
    "points": "point predictions", "counts": "vscrowd-video-counts file",
    "cgnet": "CGNet/OMAN video_results JSON", "drnet": "DRNet [pred, gt] array"}
Layout = Literal["vscrowd", "drnet"]


def sniff_results_file(path: str | Path) -> ResultsKind:
    """The kind of a results file from its first bytes (``points`` when unsure: the
    prediction reader then says what is wrong)."""
    path = Path(path)
    if not path.is_file():
        return "points"
    with open(path, "rb") as fh:
        head = fh.read(4096)
    if head.startswith(b"\x93NUMPY"):
        return "drnet"
    if b'"vscrowd-video-counts"' in head:
        return "counts"
    if b'"video_num"' in head and b'"points"' not in head:
        return "cgnet"
    return "points"


@dataclass(frozen=True)
class VICReport:
    """The VIC scores of one results file: what it is, where its truth came from, the
    results per protocol (with DRNet's group breakdowns when scene labels are known)."""

    kind: str
    source: str
    truth: str
    results: dict[str, VICResult]
    notes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"results_file": {"kind": self.kind, "source": self.source,
                                 "truth": self.truth, "notes": list(self.notes)},
                "video_counting": {k: v.to_dict() for k, v in self.results.items()}}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2) + "\n"

    def format(self, fmt: str = "table", layout: Layout = "vscrowd") -> str:
        """A table per protocol (``fmt`` table, markdown or csv), or DRNet's printout
        (``layout="drnet"``: the groups of the first protocol, all only without labels)."""
        if layout == "drnet":
            v = next(iter(self.results.values()))
            return format_drnet(v.groups())
        lines = [f"{KINDS[self.kind]}: {self.source}", f"ground truth: {self.truth}"]
        for name, v in self.results.items():
            proto = name + (f" (k={v.interval})" if name == "drnet" else "")
            lines += ["", f"video individual counting, protocol {proto} (RMSE is the "
                          "column papers print as 'MSE'; WRAE in %)"]
            groups = v.groups()
            rows = [["group", "videos", "MAE", "RMSE", "WRAE", "MIAE", "MOAE"]]
            rows += [[g, str(m["videos"]), _n(m["MAE"]), _n(m["RMSE"]), _n(m["WRAE"], 100),
                      _n(m["MIAE"]), _n(m["MOAE"])] for g, m in groups.items()]
            lines += render(rows, fmt)
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines)


def _n(v: float | None, scale: float = 1.0) -> str:
    return "n/a" if v is None else f"{v * scale:.2f}"


def score_results_file(path: str | Path, *, data: VSCrowd | None = None,
                       split: str = "test", split_files: Sequence[str | Path] = (),
                       labels_file: str | Path | None = None,
                       names: Mapping[str, str] | None = None,
                       interval: int = 15) -> VICReport:
    """Score a ``drnet``, ``cgnet`` or ``counts`` results file (see the module
    docstring). A DRNet array's rows are ordered by the list of ``split_files`` named
    ``split`` (or the only one given); ``labels_file``: a ``scene_label.txt`` in either
    naming (default: the dataset's); ``names``: the name map (default: the dataset's).

    Raises:
        ConfigError: A point prediction file, or a missing input the kind needs.
        PredictionFormatError, DatasetError: Bad files; names that match nothing.
    """
    path = Path(path)
    kind = sniff_results_file(path)
    if kind == "points":
        raise ConfigError(f"{path} is not a video-counting results file (a DRNet .npy, a "
                          "CGNet/OMAN video_results JSON or a vscrowd-video-counts file)")
    if names is None and data is not None:
        names = data.name_map or None
    labels = read_scene_labels(labels_file) if labels_file is not None else None
    if kind == "drnet":
        order, order_source = _order_list(split_files, split, names)
        return _score_drnet(path, data, order, order_source, labels, names, interval)
    if data is None:
        raise ConfigError(f"a {KINDS[kind]} has no ground truth: give the dataset root "
                          "(--data ROOT)")
    if kind == "cgnet":
        return _score_cgnet(path, data, labels, names)
    return _score_counts(path, data, split, labels, names, interval)


def _order_list(split_files: Sequence[str | Path], split: str,
                names: Mapping[str, str] | None) -> tuple[list[str] | None, str]:
    """The list named ``split`` among ``split_files`` (or the only one), as written."""
    files = [Path(f) for f in split_files]
    chosen = [f for f in files if f.stem == split] or (files if len(files) == 1 else [])
    if not chosen:
        return None, ""
    _name, videos = read_split_file(chosen[0])
    desc = identify_split({_name: videos}, names)
    return videos, f"{chosen[0]}" + (f" ({desc})" if desc else "")


def _labels_for(data: VSCrowd | None, videos: Sequence[str], labels, names, what: str):
    if labels is not None:
        return translate_labels(labels, videos, names, what=what) or None
    if data is not None and "scene_labels" in data.videos:
        return dict(zip(data.videos["video"], data.videos["scene_labels"]))
    return None


def _score_drnet(path, data, order, order_source, labels, names, interval) -> VICReport:
    if order is None:
        raise ConfigError(f"{path} is a DRNet [pred, gt] array: it has no video names; give "
                          "the split list that orders its rows (--splits DIR with DRNet's "
                          "test.txt, or --split-file test.txt)")
    arr = load_drnet_array(path, order)
    m = re.match(r"(\d+)_", path.name)
    k = int(m.group(1)) if m else interval
    notes = [] if not m or k == interval else [
        f"interval k={k} from the file name (DRNet's test_intervals)"]
    source = f"{path.name}, {len(arr)} rows in the order of {order_source}"
    if data is None:
        videos = [names.get(v, v) for v in order] if names else list(order)
        gt = {v: VideoCount(float(g), 0) for v, g in zip(videos, arr[:, 1])}
        truth = ("the file's own column (no dataset root: WRAE needs frame counts, "
                 "MIAE/MOAE per-pair flows)")
    else:
        videos = translate_list(order, data.videos["video"].tolist(), names,
                                what=order_source)
        view = data.select(videos=videos)
        computed = truth_counts(GroundTruth.from_dataset(view), k)["drnet"]
        gt = {v: computed[v] for v in videos}
        off = [v for v, g in zip(videos, arr[:, 1]) if abs(gt[v].count - g) > 1e-6]
        truth = f"recomputed from {data.root} (protocol drnet, k={k})"
        if off:
            notes.append(f"{len(off)} row(s) of the file's own truth differ from the "
                         f"annotations', e.g. {off[0]}: {gt[off[0]].count:g} here")
        data = view
    pred = {v: VideoCount(float(p), 0) for v, p in zip(videos, arr[:, 0])}
    lab = _labels_for(data, videos, labels, names, "scene labels")
    res = vic_metrics(gt, pred, protocol="drnet", interval=k, labels=lab)
    return VICReport("drnet", source, truth, {"drnet": res}, tuple(notes))


def _score_cgnet(path, data: VSCrowd, labels, names) -> VICReport:
    counts = read_cgnet_results(path)
    videos = translate_list(list(counts), data.videos["video"].tolist(), names,
                            what=str(path))
    counts = dict(zip(videos, counts.values()))
    view = data.select(videos=videos)
    computed = truth_counts(GroundTruth.from_dataset(view))["unique"]
    # CGNet's eval.py weights WRAE by the frame_num its results file reports.
    gt = {v: VideoCount(computed[v].count, counts[v].frames or computed[v].frames)
          for v in videos}
    lab = _labels_for(view, videos, labels, names, "scene labels")
    res = vic_metrics(gt, counts, protocol="unique", labels=lab)
    return VICReport("cgnet", f"{path.name}, {len(videos)} videos (scored: the file's)",
                     f"recomputed from {data.root} (protocol unique: distinct IDs)",
                     {"unique": res})


def _score_counts(path, data: VSCrowd, split, labels, names, interval) -> VICReport:
    counts = read_video_counts(path)
    if names:
        counts = {names.get(v, v): c for v, c in counts.items()}
    view = data.select(split=split)
    known = set(view.videos["video"])
    unknown = sorted(set(counts) - known)
    if unknown:
        raise PredictionFormatError(f"names {len(unknown)} video(s) not in the evaluated "
                                    f"split, e.g. {unknown[0]} (check --split or --names)",
                                    path=path)
    truth = truth_counts(GroundTruth.from_dataset(view), interval)
    lab = _labels_for(view, list(view.videos["video"]), labels, names, "scene labels")
    res = {p: vic_metrics(truth[p], counts, protocol=p, interval=interval, labels=lab)
           for p in truth}
    missing = next(iter(res.values())).missing
    if missing:
        warnings.warn(f"{len(missing)} video(s) of the split are missing from {path} and "
                      f"count as 0: {', '.join(missing[:5])}", VSCrowdWarning, stacklevel=3)
    return VICReport("counts", f"{path.name}, {len(counts)} videos",
                     f"recomputed from {data.root} (split {split})", res)
