"""``vscrowd render``: an ``.mp4`` of a video with its ground truth and/or predictions.

With both, points are coloured as ``vscrowd show`` colours them (the evaluator's
matching at σ, t = 0.5: true positive, false positive, missed head); predictions with
track IDs get trails of their last ``trail`` frames and their IDs; a live count sits top
left and a strip at the bottom plots the count over the whole video with a cursor.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from ..datasets.image_file import read_image
from ..datasets.vscrowd import VSCrowd
from ..errors import ConfigError, PredictionFormatError
from ..eval.localization import sigma_matches
from ..eval.matching import rank_in_frame
from ..eval.prediction_files import read_predictions
from ..eval.predictions import Predictions
from ..viz.show import COLOURS, track_colour
from .encode import Codec, VideoWriter
from .source import FrameSource, open_source

__all__ = ["RenderResult", "render_dataset_video", "render_prediction_file"]


@dataclass(frozen=True)
class RenderResult:
    out: Path
    frames: int
    size: tuple[int, int]
    codec: str  # "h264" (browser-playable) or "mp4v" (the fallback)


def _frame_points(preds: Predictions | None, video: str) -> dict[str, np.ndarray]:
    """frame id -> (n, 4) [x, y, score, track id or -1] of one video's predictions."""
    if preds is None:
        return {}
    out = {}
    ids = preds.track_id
    for r in np.flatnonzero(preds.frames["video"].to_numpy(object) == video):
        rows = preds.frame_rows(int(r))
        t = ids[rows] if ids is not None else np.full(len(preds.score[rows]), -1)
        out[str(preds.frames["frame"].iat[r])] = np.column_stack(
            [preds.xy[rows], preds.score[rows], t])
    return out


class _Painter:
    """Draws one frame's overlay; keeps the track trails between frames."""

    def __init__(self, size, counts: np.ndarray, gt_counts: np.ndarray | None,
                 sigma: float, trail: int) -> None:
        w, h = size
        self.scale = max(1, round(max(w, h) / 540))
        self.r = 2 + self.scale
        self.sigma, self.trail = sigma, trail
        self.trails: dict[int, deque] = {}
        self.strip = _strip(w, max(40, h // 12), counts, gt_counts)
        self.n = len(counts)

    def draw(self, img: np.ndarray, k: int, gt: np.ndarray | None, p: np.ndarray | None
             ) -> np.ndarray:
        r, s = self.r, self.scale
        lines = [f"frame {k + 1}/{self.n}"]
        if p is not None and gt is not None:
            z = np.zeros(len(p), np.int64)
            dt_gt, matched = sigma_matches(z, p[:, :2], rank_in_frame(z, p[:, 2]),
                                           np.zeros(len(gt), np.int64), gt, self.sigma,
                                           np.array([0.5]))
            tp = dt_gt[0] >= 0
            for (x, y) in gt[~matched[0]]:
                cv2.circle(img, (int(x), int(y)), 2 * r, COLOURS["missed"], 1 + s // 2)
            for (x, y), ok in zip(p[:, :2], tp):
                if ok:
                    cv2.circle(img, (int(x), int(y)), r, COLOURS["tp"], -1)
                else:
                    cv2.drawMarker(img, (int(x), int(y)), COLOURS["fp"],
                                   cv2.MARKER_TILTED_CROSS, 3 * r, 1 + s // 2)
            lines.append(f"TP {int(tp.sum())}  FP {int((~tp).sum())}  "
                         f"missed {int((~matched[0]).sum())}  (sigma {self.sigma:g}px)")
        elif gt is not None:
            for (x, y) in gt:
                cv2.circle(img, (int(x), int(y)), r, COLOURS["gt"], -1)
        elif p is not None:
            for (x, y) in p[:, :2]:
                cv2.circle(img, (int(x), int(y)), r, COLOURS["tp"], -1)
        if p is not None and self.trail:
            self._tracks(img, k, p)
        if p is not None:
            lines.append(f"count {len(p)}" + ("" if gt is None else f"  (GT {len(gt)})"))
        elif gt is not None:
            lines.append(f"GT count {len(gt)}")
        _text_box(img, lines, s)
        self._strip(img, k)
        return img

    def _tracks(self, img: np.ndarray, k: int, p: np.ndarray) -> None:
        for x, y, _s, t in p:
            if t >= 0:
                self.trails.setdefault(int(t), deque(maxlen=self.trail)).append(
                    (k, int(x), int(y)))
        for t in [t for t, d in self.trails.items() if d[-1][0] < k - self.trail]:
            del self.trails[t]
        for t, d in self.trails.items():
            if d[-1][0] != k:
                continue
            pts = np.array([(x, y) for _, x, y in d], np.int32)
            col = track_colour(t)
            if len(pts) > 1:
                cv2.polylines(img, [pts.reshape(-1, 1, 2)], False, col, 1 + self.scale // 2)
            cv2.putText(img, str(t), (int(pts[-1, 0]) + self.r, int(pts[-1, 1]) - self.r),
                        cv2.FONT_HERSHEY_SIMPLEX, 0.3 * self.scale, col, 1)

    def _strip(self, img: np.ndarray, k: int) -> None:
        h, w = self.strip.shape[:2]
        roi = img[-h:, :w]
        cv2.addWeighted(roi, 0.3, self.strip, 0.7, 0, dst=roi)
        x = int(round(k * (w - 1) / max(1, self.n - 1)))
        cv2.line(roi, (x, 0), (x, h - 1), (255, 255, 255), 1)


def _strip(w: int, h: int, counts: np.ndarray, gt_counts: np.ndarray | None) -> np.ndarray:
    """The count-over-time strip (predicted: blue; ground truth: green)."""
    strip = np.zeros((h, w, 3), np.uint8)
    top = max(1.0, float(counts.max(initial=0)),
              float(gt_counts.max(initial=0)) if gt_counts is not None else 0.0)
    for c, col in ((gt_counts, COLOURS["gt"]), (counts, COLOURS["tp"])):
        if c is None or not len(c):
            continue
        xs = np.linspace(0, w - 1, len(c)) if len(c) > 1 else np.array([0.0])
        ys = (h - 3) - c / top * (h - 6)
        pts = np.column_stack([xs, ys]).round().astype(np.int32)
        cv2.polylines(strip, [pts.reshape(-1, 1, 2)], False, col, 2 if h > 60 else 1)
    return strip


def _text_box(img: np.ndarray, lines: list[str], s: int) -> None:
    fs = 0.45 * s
    lh = int(18 * s)
    w = int(max(len(t) for t in lines) * 8.5 * s) + 12
    cv2.rectangle(img, (0, 0), (w, lh * len(lines) + 8), (0, 0, 0), -1)
    for i, t in enumerate(lines):
        cv2.putText(img, t, (6, lh * (i + 1)), cv2.FONT_HERSHEY_SIMPLEX, fs,
                    (255, 255, 255), 1, cv2.LINE_AA)


def _render(frames, keys: list[str], source: FrameSource, out, gt: dict | None,
            preds: dict[str, np.ndarray] | None, *, sigma: float, trail: int, codec: Codec,
            fps: float | None, progress) -> RenderResult:
    if gt is None and preds is None:  # the plain frames (e.g. a clip for predict --video)
        with VideoWriter(out, fps or source.fps, source.size, codec) as vw:
            for k, (_i, img) in enumerate(frames):
                vw.write(img)
                if progress:
                    progress(k + 1)
        return RenderResult(Path(out), vw.frames, source.size, vw.codec)
    counts = np.array([len(preds.get(k, ())) for k in keys], float) if preds is not None \
        else np.array([len(gt[k]) for k in keys], float)
    gt_counts = np.array([len(gt[k]) for k in keys], float) if gt is not None \
        and preds is not None else None
    painter = _Painter(source.size, counts, gt_counts, sigma, trail)
    with VideoWriter(out, fps or source.fps, source.size, codec) as vw:
        for k, (key, (_i, img)) in enumerate(zip(keys, frames)):
            p = None if preds is None else preds.get(key, np.empty((0, 4)))
            vw.write(painter.draw(img, k, None if gt is None else gt[key], p))
            if progress:
                progress(k + 1)
    return RenderResult(Path(out), vw.frames, source.size, vw.codec)


def render_dataset_video(ds: VSCrowd, video: str, out: str | Path,
                         preds: Predictions | None = None, *, gt: bool = True,
                         sigma: float = 20.0, trail: int = 25, codec: Codec = "auto",
                         fps: float = 5.0, max_frames: int | None = None,
                         progress: Callable[[int], None] | None = None) -> RenderResult:
    """Render one dataset video with its ground truth (``gt``) and/or ``preds`` (with
    neither: the plain frames, e.g. a test clip for ``vscrowd predict --video``)."""
    fas = list(ds.iter_frames(video))[:max_frames]
    keys = [fa.frame for fa in fas]
    files = [ds.image_path(video, f) for f in keys]
    if not files:
        raise ConfigError(f"video {video}: no frames")
    first = read_image(files[0])
    src = FrameSource(video, str(ds.root / "videos" / video), fps, first.shape[1::-1],
                      len(files), "images", "images", _files=files)
    pp = _frame_points(preds, video) if preds is not None else None
    if pp is not None and not pp:
        raise PredictionFormatError(f"the predictions have no record for video {video}",
                                    path=preds.source)
    gts = {fa.frame: fa.xy for fa in fas} if gt else None
    return _render(src.frames(), keys, src, out, gts, pp, sigma=sigma, trail=trail,
                   codec=codec, fps=fps, progress=progress)


def render_prediction_file(preds_path: str | Path, out: str | Path, *,
                           source: str | Path | None = None, trail: int = 25,
                           codec: Codec = "auto", fps: float | None = None,
                           progress: Callable[[int], None] | None = None) -> RenderResult:
    """Render the output of ``vscrowd predict --video`` over its source video (the
    header's ``source`` unless ``source`` is given)."""
    path = Path(preds_path)
    with open(path, encoding="utf-8") as fh:
        head = json.loads(fh.readline() or "{}")
    if "source" not in head and source is None:
        raise PredictionFormatError("no 'source' in the header line: not written by "
                                    "vscrowd predict --video (pass --source)", path=path)
    preds = read_predictions(path)
    src = open_source(source or head["source"])
    video = str(preds.frames["video"].iat[0])
    pp = _frame_points(preds, video)
    numbers = sorted(int(k) for k in pp)  # frame numbers count from 1
    keys = [str(i) for i in numbers]
    wanted = {n - 1 for n in numbers}
    frames = ((i, img) for i, img in src.frames(numbers[0] - 1, numbers[-1]) if i in wanted)
    rate = fps or src.fps / max(1, int(head.get("every") or 1))
    return _render(frames, keys, src, out, None, pp, sigma=20.0, trail=trail, codec=codec,
                   fps=rate, progress=progress)
