"""Overlays of ground truth and predictions on frames (images and short clips).

With predictions, points are coloured by the evaluator's own matching at the
chosen σ and threshold t = 0.5: true positives, false positives and missed heads.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from .._io import atomic_path, ensure_parent
from ..choices import OVERLAY_MAX_SIDE
from ..datasets.annotations import FrameAnnotation
from ..datasets.image_file import read_image
from ..datasets.vscrowd import VSCrowd
from ..errors import ConfigError, DatasetError, OutputError
from ..eval.localization import sigma_matches
from ..eval.matching import rank_in_frame
from ..eval.predictions import Predictions

__all__ = ["COLOURS", "FrameOverlay", "render_frame", "track_colour", "write_clip",
           "write_overlay"]

# BGR colours (colour-blind friendly-ish: blue/orange/magenta + green GT).
_GT = (80, 200, 80)
_TP = (230, 160, 20)
_FP = (30, 60, 240)
_MISS = (200, 40, 200)
#: The overlay colours (BGR), shared with ``vscrowd render``.
COLOURS = {"gt": _GT, "tp": _TP, "fp": _FP, "missed": _MISS}


@dataclass(frozen=True)
class FrameOverlay:
    """A rendered overlay and its counts (``tp``/``fp``/``missed`` when predictions)."""

    image: np.ndarray  # (H, W, 3) uint8 BGR (frames under 540 px high are enlarged)
    gt: int
    tp: int | None = None
    fp: int | None = None
    missed: int | None = None


def _frame_predictions(preds: Predictions, video: str, frame: str) -> np.ndarray:
    row = preds.resolver().row(video, frame)  # unpadded / integer FrameIDs match by value
    if row is None:
        other = sorted(set(preds.frames["video"]))[:3]
        raise DatasetError(f"the predictions have no record for {video}/{frame} (they cover "
                           f"{', '.join(other) or 'no videos'}...; predictions for another "
                           "split?)")
    here = preds.in_frame(row)
    return np.column_stack([here.xy, here.score])


def render_frame(ds: VSCrowd, video: str, frame: str | int, preds: Predictions | None = None,
                 *, sigma: float = 20.0, boxes: bool = False, ids: bool = False,
                 score_threshold: float = 0.0, tracks: int = 0,
                 max_side: int = OVERLAY_MAX_SIDE) -> FrameOverlay:
    """Draw one frame's GT (and predictions coloured by TP/FP/missed at σ, t=0.5); with
    ``tracks=k`` and predictions carrying track IDs, each track's last k frames as a line
    in a colour of its own. A frame larger than ``max_side`` px on its longer side is
    drawn downsampled to it (0: full size), so a 24-megapixel NWPU-Crowd or UCF-QNRF
    image gives a readable overlay of a few megapixels."""
    if not 0 < sigma < float("inf"):
        raise ConfigError(f"expected a finite sigma > 0, got {sigma}")
    fa = ds.frame(video, frame)
    img = read_image(ds.image_path(fa.video, fa.frame))
    if preds is not None:
        # The evaluator's matching, on original pixels (σ is in original pixels).
        p = _frame_predictions(preds, fa.video, fa.frame)
        p = p[p[:, 2] >= score_threshold]
        dt_frame = np.zeros(len(p), np.int64)
        dt_gt, gt_matched = sigma_matches(dt_frame, p[:, :2], rank_in_frame(dt_frame, p[:, 2]),
                                          np.zeros(len(fa), np.int64), fa.xy, sigma,
                                          np.array([0.5]))
    zoom = _zoom(img.shape[:2], max_side)
    if zoom != 1:
        img = cv2.resize(img, None, fx=zoom, fy=zoom,
                         interpolation=cv2.INTER_AREA if zoom < 1 else cv2.INTER_LINEAR)
    fa = FrameAnnotation(fa.video, fa.frame, fa.frame_index, fa.xy * zoom,
                         fa.box * zoom, fa.track_id)
    scale = max(1, round(max(img.shape[:2]) / 540))
    r = 2 + scale
    if tracks and preds is not None and preds.track_id is not None:
        _draw_tracks(img, ds, preds, fa.video, fa.frame, tracks, zoom, scale)
    if boxes:
        for x1, y1, x2, y2 in fa.box:
            cv2.rectangle(img, (int(x1), int(y1)), (int(x2), int(y2)), _GT, 1, cv2.LINE_AA)
    if ids:
        for (x, y), hid in zip(fa.xy, fa.track_id):
            cv2.putText(img, str(hid), (int(x) + r, int(y) - r), cv2.FONT_HERSHEY_SIMPLEX,
                        0.3 * scale, _GT, 1, cv2.LINE_AA)
    if preds is None:
        for x, y in fa.xy:
            cv2.circle(img, (int(round(x)), int(round(y))), r, _GT, -1, cv2.LINE_AA)
        _legend(img, [(_GT, f"GT heads: {len(fa)}")])
        return FrameOverlay(img, len(fa))
    p = p * [zoom, zoom, 1]
    tp = dt_gt[0] >= 0
    for (x, y), m in zip(fa.xy, gt_matched[0]):
        if not m:  # missed: hollow ring so the pixel itself stays visible
            cv2.circle(img, (int(round(x)), int(round(y))), 2 * r, _MISS, 1 + scale // 2,
                       cv2.LINE_AA)
    for (x, y, _s), ok in zip(p, tp):
        c = (int(round(x)), int(round(y)))
        if ok:
            cv2.circle(img, c, r, _TP, -1, cv2.LINE_AA)
        else:
            cv2.drawMarker(img, c, _FP, cv2.MARKER_TILTED_CROSS, 3 * r, 1 + scale // 2,
                           cv2.LINE_AA)
    n_tp, n_fp, n_miss = int(tp.sum()), int((~tp).sum()), int((~gt_matched[0]).sum())
    _legend(img, [(_TP, f"true positive: {n_tp}"), (_FP, f"false positive: {n_fp}", "cross"),
                  (_MISS, f"missed head: {n_miss}", "ring"),
                  ((255, 255, 255), f"sigma={sigma:g}px, t=0.5", "none")])
    return FrameOverlay(img, len(fa), n_tp, n_fp, n_miss)


def track_colour(track_id: int) -> tuple[int, int, int]:
    """The colour (BGR) of a track's trail."""
    hue = (track_id * 47) % 180  # spread IDs around the hue circle
    bgr = cv2.cvtColor(np.uint8([[[hue, 220, 255]]]), cv2.COLOR_HSV2BGR)[0, 0]
    return int(bgr[0]), int(bgr[1]), int(bgr[2])


def _zoom(shape: tuple[int, int], max_side: int) -> float:
    """The drawing scale of a frame of ``(h, w)``: small frames are enlarged (an integer
    factor, to 540 px high) so markers and the legend stay readable, frames beyond
    ``max_side`` on their longer side shrunk to it (0: never).

    >>> _zoom((158, 238), 2048), _zoom((1080, 1920), 2048), round(_zoom((9999, 6666), 2048), 4)
    (4, 1, 0.2048)
    """
    h, w = shape
    if h < 540:
        return max(1, int(np.ceil(540 / h)))
    if max_side and max(h, w) > max_side:
        return max_side / max(h, w)
    return 1


def _draw_tracks(img: np.ndarray, ds: VSCrowd, preds: Predictions, video: str, frame: str,
                 k: int, zoom: float, scale: int) -> None:
    """Trajectories of the predicted tracks over the last ``k`` frames up to ``frame``."""
    fids = [fa.frame for fa in ds.iter_frames(video)]
    pos = fids.index(frame)
    window = {f: i for i, f in enumerate(fids[max(0, pos - k + 1):pos + 1])}
    vids = preds.frames["video"].to_numpy()[preds.frame_index]
    frs = preds.frames["frame"].to_numpy()[preds.frame_index]
    step = np.array([window.get(f, -1) if v == video else -1 for v, f in zip(vids, frs)])
    sel = step >= 0
    for tid in np.unique(preds.track_id[sel]):
        m = sel & (preds.track_id == tid)
        order = np.argsort(step[m])
        pts = (preds.xy[m][order] * zoom).round().astype(np.int32)
        if len(pts) > 1:
            cv2.polylines(img, [pts.reshape(-1, 1, 2)], False, track_colour(int(tid)),
                          1 + scale // 2, cv2.LINE_AA)


def _legend(img: np.ndarray, items: list[tuple]) -> None:
    """Legend box; items are (colour, text) or (colour, text, "dot"|"cross"|"ring")."""
    scale = max(0.4, img.shape[0] / 900)
    lh = int(22 * scale) + 4
    w = int(max(len(it[1]) for it in items) * 9 * scale) + 30
    overlay = img.copy()
    cv2.rectangle(overlay, (4, 4), (4 + w, 8 + lh * len(items)), (0, 0, 0), -1)
    cv2.addWeighted(overlay, 0.55, img, 0.45, 0, dst=img)
    for i, item in enumerate(items):
        col, text = item[0], item[1]
        kind = item[2] if len(item) > 2 else "dot"
        y = 4 + lh * (i + 1) - 4
        c, r = (14, y - int(5 * scale)), max(3, int(5 * scale))
        if kind == "cross":
            cv2.drawMarker(img, c, col, cv2.MARKER_TILTED_CROSS, 2 * r, 2, cv2.LINE_AA)
        elif kind == "ring":
            cv2.circle(img, c, r, col, 2, cv2.LINE_AA)
        elif kind == "dot":
            cv2.circle(img, c, r, col, -1, cv2.LINE_AA)
        cv2.putText(img, text, (26, y), cv2.FONT_HERSHEY_SIMPLEX, 0.5 * scale, (255, 255, 255),
                    1, cv2.LINE_AA)


def write_overlay(ds: VSCrowd, video: str, frame: str | int, out: str | Path,
                  preds: Predictions | None = None, **kwargs) -> FrameOverlay:
    """Render one frame (see :func:`render_frame`) and write it (PNG/JPEG) atomically."""
    out = ensure_parent(out)
    if not out.suffix or not cv2.haveImageWriter(str(out)):
        raise OutputError(f"{out}: OpenCV cannot write {out.suffix or 'extension-less'} "
                          "images; use .png or .jpg (or .mp4/.gif for a clip)")
    ov = render_frame(ds, video, frame, preds, **kwargs)
    ok, buf = cv2.imencode(out.suffix, ov.image)
    if not ok:
        raise OutputError(f"{out}: cannot encode the image as {out.suffix!r}")
    with atomic_path(out) as tmp:
        tmp.write_bytes(buf.tobytes())
    return ov


def write_clip(ds: VSCrowd, video: str, out: str | Path, preds: Predictions | None = None,
               *, fps: float = 5.0, max_frames: int = 100, **kwargs) -> Path:
    """Render the frames of a video to ``.mp4`` (OpenCV) or ``.gif`` (Pillow)."""
    out = ensure_parent(out)
    if out.suffix not in (".mp4", ".gif"):
        raise ConfigError(f"expected a .mp4 or .gif output, got {out.suffix!r}")
    frames = [fa.frame for fa in ds.iter_frames(video)][:max_frames]
    images = [render_frame(ds, video, f, preds, **kwargs).image for f in frames]
    with atomic_path(out) as tmp:
        if out.suffix == ".mp4":
            h, w = images[0].shape[:2]
            vw = cv2.VideoWriter(str(tmp), cv2.VideoWriter_fourcc(*"mp4v"), fps, (w, h))
            if not vw.isOpened():
                raise OutputError(f"OpenCV cannot write MP4 files here: {out}")
            for im in images:
                vw.write(im)
            vw.release()
        else:
            from PIL import Image

            pil = [Image.fromarray(cv2.cvtColor(im, cv2.COLOR_BGR2RGB)) for im in images]
            pil[0].save(tmp, format="GIF", save_all=True, append_images=pil[1:],
                        duration=int(1000 / fps), loop=0)
    return out
