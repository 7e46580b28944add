"""``predict_video``: a model (or the training-free baseline) over your own footage,
written as JSON Lines while it runs (docs/prediction-format.md, "Video predictions").

The output is written to a hidden ``.NAME.partial`` file next to ``out`` and renamed
over ``out`` when the run ends: normally, on Ctrl-C, or when a stream stops early, so
``out`` is then a valid file holding every frame predicted so far. Any other error
leaves a previous ``out`` untouched.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._io import atomic_write_text, ensure_parent
from ..choices import TILE, check_tile
from ..errors import ConfigError
from ..eval.prediction_files import FORMAT_NAME, FORMAT_VERSION
from ..methods.tracker import OnlineTracker, TrackerConfig
from .predictors import BASELINE_NAMES, BaselineStream, ModelStream
from .source import FrameSource, StreamStop, open_source

__all__ = ["VideoPrediction", "predict_video"]


@dataclass(frozen=True)
class VideoPrediction:
    """What :func:`predict_video` wrote."""

    out: Path
    frames: int
    points: int
    method: str
    fps: float  # of the source
    size: tuple[int, int]
    interrupted: bool  # Ctrl-C: ``out`` holds the frames up to there
    stop: StreamStop | None  # the stream ended early (``out`` holds what came)
    counts: Path | None  # per-frame counts CSV (``--counts``)
    people: int | None  # unique people (tracks of min_length frames) when tracked


def _predictor(model, source: FrameSource, threshold: float | None,
               score_floor: float | None, device: str, scale: float, tile: int | None):
    if model is None or str(model) in BASELINE_NAMES:
        return BaselineStream(source.size), "background-blobs (training-free baseline)"
    from .._optional import require_torch

    require_torch("vscrowd predict --video with a trained model")
    import torch

    from ..train.config import NO_CUDA
    from ..train.predict import load_trained_model, peak_rule

    if device == "cuda" and not torch.cuda.is_available():
        raise ConfigError(NO_CUDA)
    net, cfg, loaded = load_trained_model(model, device)
    name = f"{cfg.model.name} ({loaded})"
    rule = peak_rule(cfg, threshold, score_floor)
    return ModelStream(net, cfg, torch.device(device), rule=rule, scale=scale,
                       method=name, tile=tile), name


def _header(source: FrameSource, method: str, stream, start: int, end: int | None,
            every: int, tracker: TrackerConfig | None) -> dict:
    return {"format": FORMAT_NAME, "version": FORMAT_VERSION, "method": method,
            "source": source.path, "video": source.name, "fps": source.fps,
            "size": list(source.size), "frame_count": source.frame_count,
            "codec": source.codec, "model": method, "thresholds": stream.thresholds(),
            "start": start, "end": end, "every": every,
            "tracker": None if tracker is None else vars(tracker)}


class _Writer:
    """The JSONL records (and the counts CSV), one line per frame as it is predicted."""

    def __init__(self, out: Path, source: FrameSource, tracker: OnlineTracker | None,
                 write_ids: bool, counts: bool, count_threshold: float) -> None:
        self.out, self.source, self.tracker, self.write_ids = out, source, tracker, write_ids
        self.tmp = out.with_name(f".{out.name}.partial")
        self.fh = open(self.tmp, "w", encoding="utf-8")  # noqa: SIM115 (closed by close())
        self.counts_path = out.with_name(out.stem + ".counts.csv") if counts else None
        self.cfh = None
        if self.counts_path is not None:
            self.ctmp = self.counts_path.with_name(f".{self.counts_path.name}.partial")
            self.cfh = open(self.ctmp, "w", encoding="utf-8")  # noqa: SIM115
            self.cfh.write("frame,time,count,unique_people\n")
        self.count_threshold = count_threshold
        self.frames = self.points = 0

    def write(self, index: int, pts: np.ndarray) -> None:
        if self.tracker is not None:
            keep = pts[:, 2] >= self.tracker.cfg.score_threshold
            ids = self.tracker.update(pts[keep, :2])
            if self.write_ids:  # tracked output: every written point carries its ID
                pts = np.column_stack([pts[keep], ids])
        rows = np.round(pts, 2)
        rows[:, 2] = np.round(pts[:, 2], 4)
        rec = {"video": self.source.name, "frame": index + 1,  # numbered from 1, as FrameIDs
               "time": round(index / self.source.fps, 3), "points": [
                   [*r[:3], int(r[3])] if len(r) > 3 else r for r in rows.tolist()]}
        self.fh.write(json.dumps(rec) + "\n")
        self.frames += 1
        self.points += len(pts)
        if self.cfh is not None:
            n = int((pts[:, 2] >= self.count_threshold).sum())
            self.cfh.write(f"{index + 1},{rec['time']},{n},{self.tracker.people()}\n")

    def close(self, keep: bool) -> None:
        for fh in (self.fh, self.cfh):
            if fh is not None:
                fh.close()
        pairs = [(self.tmp, self.out)]
        if self.cfh is not None:
            pairs.append((self.ctmp, self.counts_path))
        for tmp, final in pairs:
            if keep:
                os.chmod(tmp, 0o644)
                os.replace(tmp, final)
            else:
                tmp.unlink(missing_ok=True)


def _counts_json(path: Path, source: FrameSource, people: int, frames: int) -> None:
    doc = {"format": "vscrowd-video-counts", "version": 1,
           "videos": [{"video": source.name, "count": people, "frames": frames}]}
    atomic_write_text(path, json.dumps(doc, indent=2) + "\n")


def predict_video(model: str | Path | None, src: str | Path, out: str | Path, *,
                  threshold: float | None = None, score_floor: float | None = None,
                  every: int = 1, start: int = 1,
                  end: int | None = None, name: str | None = None, track: bool = False,
                  counts: bool = False,
                  tracker: TrackerConfig | None = None, device: str = "cpu",
                  scale: float = 1.0, buffer: int = 8, tile: int | None = TILE,
                  progress: Callable[[int], None] | None = None,
                  on_open: Callable[[FrameSource], None] | None = None) -> VideoPrediction:
    """Predict head points on every ``every``-th frame ``start <= i <= end`` of ``src``
    (a video file, a folder or glob of frames, or a stream URL) and write JSON Lines.

    Frames are numbered from 1 (as VSCrowd's FrameIDs, so a dataset video written as a
    file is scored by ``vscrowd eval`` directly); records name the video ``name``
    (default: the file stem).

    ``model`` is a checkpoint / run folder / exported model, or ``"baseline"`` (or
    None) for the training-free baseline. A model's points are its peaks down to its
    score floor (``score_floor`` overrides); ``threshold`` overrides its count threshold
    (both stored with the model; see :func:`vscrowd.train.predict.peak_rule`). ``track``
    links points into tracks on the fly (the tracker of ``vscrowd track``; written points
    carry IDs, points under its score threshold are left out); ``counts`` writes
    ``OUT.counts.csv`` (per-frame count of points with score >= the tracker's score
    threshold, unique people so far)
    and ``OUT.counts.json`` (a ``vscrowd-video-counts`` file ``vscrowd eval`` reads).
    ``progress`` is called with the number of frames done after each frame. A model
    runs frames with a side longer than ``tile`` px in overlapping tiles of that size
    (after ``scale``; None: whole frames; :mod:`vscrowd.models.tiling`).
    """
    if every < 1 or start < 1 or (end is not None and end < start):
        raise ConfigError(f"expected every >= 1 and 1 <= start <= end, got every={every}, "
                          f"start={start}, end={end}")
    if not scale > 0:
        raise ConfigError(f"expected scale > 0, got {scale}")
    check_tile(tile)
    out = ensure_parent(out)
    if out.suffix != ".jsonl":
        raise ConfigError(f"expected a .jsonl output (records are written as they come), "
                          f"got {out.name}")
    source = open_source(src, name=name)
    if on_open:
        on_open(source)
    stream, method = _predictor(model, source, threshold, score_floor, device, scale, tile)
    cfg = (tracker or TrackerConfig()).validate() if (track or counts) else None
    online = OnlineTracker(cfg) if cfg is not None else None
    writer = _Writer(out, source, online, track, counts, (cfg or TrackerConfig())
                     .score_threshold)
    writer.fh.write(json.dumps(_header(source, method, stream, start, end, every,
                                       cfg if track else None)) + "\n")
    interrupted, ok = False, False
    try:
        decode_every = 1 if stream.all_frames else every
        for i, img in source.frames(start - 1, end, decode_every, buffer):
            for index, pts in stream.feed(i, img, (i - start + 1) % every == 0):
                writer.write(index, pts)
                if progress:
                    progress(writer.frames)
        for index, pts in stream.finish():
            writer.write(index, pts)
            if progress:
                progress(writer.frames)
        ok = True
    except KeyboardInterrupt:
        interrupted = True
    finally:
        writer.close(keep=ok or interrupted)
    if counts:
        _counts_json(out.with_name(out.stem + ".counts.json"), source, online.people(),
                     writer.frames)
    return VideoPrediction(out, writer.frames, writer.points, method, source.fps,
                           source.size, interrupted, source.stop, writer.counts_path,
                           online.people() if online is not None else None)
