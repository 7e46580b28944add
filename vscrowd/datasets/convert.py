"""Convert a dataset to COCO keypoints JSON, YOLO boxes or Parquet tables."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from .._io import atomic_open, atomic_path, atomic_write_text, ensure_parent
from ..errors import ConfigError, DatasetError, VSCrowdWarning
from .vscrowd import VSCrowd

__all__ = ["convert", "to_coco", "to_parquet", "to_yolo", "yolo_boxes"]

ConvertFormat = Literal["coco", "yolo", "parquet"]


def to_coco(ds: VSCrowd, out: str | Path) -> Path:
    """Write COCO JSON: one image per frame, each head a keypoint annotation.

    Images are numbered from 1 in (video, frame) order; each annotation has one
    keypoint ``[x, y, 2]``, ``bbox = [x1, y1, w, h]``, ``area = w*h`` and the track
    ID in the extra field ``track_id``. ``pycocotools.coco.COCO`` loads the result.
    """
    fr = ds.frames.assign(video=ds.frames["video"].astype(str))
    fr = fr.sort_values(["video", "frame"], kind="stable").reset_index(drop=True)
    images = []
    image_id = {}
    for i, row in enumerate(fr.itertuples(index=False), start=1):
        image_id[row.video, int(row.frame_index)] = i
        images.append({
            # An image dataset's own path (frames["path"]); VSCrowd's frame layout else.
            "id": i, "file_name": getattr(row, "path", None) or
            f"videos/{row.video}/{row.frame}.jpg",
            "width": None if pd.isna(row.width) else int(row.width),
            "height": None if pd.isna(row.height) else int(row.height),
            "video": row.video, "frame": row.frame, "frame_index": int(row.frame_index),
        })
    h = ds.heads
    vids = h["video"].astype(str).to_numpy()
    fidx = h["frame_index"].to_numpy()
    vals = h[["head_id", "x1", "y1", "x2", "y2", "x", "y"]].to_numpy(np.float64).tolist()
    path = ensure_parent(out)
    with atomic_open(path, "w", encoding="utf-8") as fh:
        fh.write('{"info": {"description": "VSCrowd (converted by vscrowd)"}, "images": ')
        fh.write(json.dumps(images))
        fh.write(', "categories": [{"id": 1, "name": "head", "supercategory": "person", '
                 '"keypoints": ["head_center"], "skeleton": []}], "annotations": [')
        for k, (v, f, row) in enumerate(zip(vids, fidx, vals)):
            tid, x1, y1, x2, y2, x, y = row
            w, hh = x2 - x1, y2 - y1
            ann = {"id": k + 1, "image_id": image_id[v, int(f)], "category_id": 1,
                   "keypoints": [x, y, 2], "num_keypoints": 1, "bbox": [x1, y1, w, hh],
                   "area": w * hh, "iscrowd": 0, "track_id": int(tid)}
            fh.write(("" if k == 0 else ",") + json.dumps(ann))
        fh.write("]}\n")
    return path


def yolo_boxes(boxes: np.ndarray, width: float, height: float) -> np.ndarray:
    """YOLO ``(cx, cy, w, h)`` normalized to [0, 1] from ``x1 y1 x2 y2`` pixel boxes.

    Boxes are clipped to the image first; boxes with no area left are dropped.

    >>> yolo_boxes(np.array([[10., 20., 30., 60.]]), 100, 200).tolist()
    [[0.2, 0.2, 0.2, 0.2]]
    """
    b = np.asarray(boxes, np.float64).reshape(-1, 4).copy()
    b[:, [0, 2]] = np.clip(b[:, [0, 2]], 0, width)
    b[:, [1, 3]] = np.clip(b[:, [1, 3]], 0, height)
    w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
    keep = (w > 0) & (h > 0)
    out = np.column_stack([(b[:, 0] + b[:, 2]) / 2 / width, (b[:, 1] + b[:, 3]) / 2 / height,
                           w / width, h / height])
    return out[keep]


def to_yolo(ds: VSCrowd, out: str | Path) -> Path:
    """Write YOLO labels: ``OUT/labels/<video>/<FrameID>.txt``, lines ``0 cx cy w h``.

    Frames without heads get an empty file (YOLO's background convention). Coordinates
    are normalised by each frame's own size where the dataset has one (an image dataset:
    one per image), else by its video's (a VSCrowd video: one camera).

    Raises:
        DatasetError: A frame whose image size is unknown (image missing).
    """
    out = Path(out)
    sizes = _frame_sizes(ds)
    unknown = [key for key, size in sizes.items() if size is None]
    if unknown:  # checked before anything is written
        video, frame = unknown[0]
        raise DatasetError(f"image size unknown for {len(unknown)} frame(s), e.g. "
                           f"{video}/{frame} (no readable image at "
                           f"{ds.image_path(video, frame)}); YOLO labels need it to "
                           "normalize coordinates")
    empty = []
    for fa in ds.iter_frames():
        width, height = sizes[fa.video, fa.frame]
        image = ds.image_path(fa.video, fa.frame)
        if not image.is_file() or image.stat().st_size == 0:  # a stat, no decode
            empty.append((fa.video, fa.frame))
        yb = yolo_boxes(fa.box, float(width), float(height))
        lines = [f"0 {cx:.6f} {cy:.6f} {w:.6f} {h:.6f}" for cx, cy, w, h in yb]
        atomic_write_text(out / "labels" / fa.video / f"{fa.frame}.txt",
                          "\n".join(lines) + ("\n" if lines else ""))
    atomic_write_text(out / "data.yaml", "names: ['head']\nnc: 1\n")
    if empty:
        width, height = sizes[empty[0]]
        warnings.warn(f"{len(empty)} frame image(s) missing or empty (0 bytes), e.g. "
                      f"{empty[0][0]}/{empty[0][1]}: their labels assume the video's size "
                      f"{int(width)}x{int(height)}; YOLO will not find these images",
                      VSCrowdWarning, stacklevel=2)
    return out


def _frame_sizes(ds: VSCrowd) -> dict[tuple[str, str], tuple[float, float] | None]:
    """``(video, frame) -> (width, height)``: the frame's own size where known, else its
    video's; None where neither is."""
    fr = ds.frames
    by_video = ds.videos.set_index(ds.videos["video"].astype(str))
    video = fr["video"].astype(str)
    cols = []
    for col in ("width", "height"):
        own = fr[col].astype("Float64") if col in fr else pd.Series(pd.NA, index=fr.index,
                                                                    dtype="Float64")
        cols.append(own.fillna(video.map(by_video[col].astype("Float64"))).tolist())
    return {(v, str(f)): None if pd.isna(w) or pd.isna(h) else (w, h)
            for v, f, w, h in zip(video.tolist(), fr["frame"].tolist(), *cols)}


def to_parquet(ds: VSCrowd, out: str | Path) -> Path:
    """Write ``OUT/heads.parquet``, ``OUT/frames.parquet`` and ``OUT/videos.parquet``."""
    out = Path(out)
    for name, df in (("heads", ds.heads), ("frames", ds.frames), ("videos", ds.videos)):
        df = df.copy()
        for c in df.columns:
            if df[c].dtype == object:
                df[c] = df[c].map(lambda v: None if v is None else
                                  (list(v) if isinstance(v, tuple) else v))
        with atomic_path(out / f"{name}.parquet") as tmp:
            pq.write_table(pa.Table.from_pandas(df, preserve_index=False), tmp)
    return out


def convert(ds: VSCrowd, to: ConvertFormat, out: str | Path) -> Path:
    """Dispatch to :func:`to_coco`, :func:`to_yolo` or :func:`to_parquet`."""
    funcs = {"coco": to_coco, "yolo": to_yolo, "parquet": to_parquet}
    if to not in funcs:
        raise ConfigError(f"expected format in {sorted(funcs)}, got {to!r}")
    return funcs[to](ds, out)
