"""pycocotools as the independent reference for σ-thresholded AP/AR."""

from __future__ import annotations

import contextlib
import io

import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def coco_reference(gt_frames, dt_frames, sigma):
    """(precision (T, 101), recall (T,)) from COCOeval with the VSCrowd settings.

    gt_frames: list of lists of (x, y); dt_frames: list of lists of (x, y, score).
    Frame i becomes image id i + 1 (so image order = list order).
    """
    images = [{"id": i + 1, "width": 1000, "height": 1000} for i in range(len(gt_frames))]
    anns = []
    for i, pts in enumerate(gt_frames):
        for x, y in pts:
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "category_id": 1,
                         "keypoints": [float(x), float(y), 2], "num_keypoints": 1,
                         "area": float(sigma) ** 2, "bbox": [float(x), float(y), 1.0, 1.0],
                         "iscrowd": 0})
    dets = [{"image_id": i + 1, "category_id": 1, "keypoints": [float(x), float(y), 1],
             "score": float(s)} for i, pts in enumerate(dt_frames) for x, y, s in pts]
    with contextlib.redirect_stdout(io.StringIO()):
        gt = COCO()
        gt.dataset = {"images": images, "annotations": anns,
                      "categories": [{"id": 1, "name": "head", "keypoints": ["c"]}]}
        gt.createIndex()
        dt = gt.loadRes(dets)
        E = COCOeval(gt, dt, "keypoints")
        E.params.kpt_oks_sigmas = np.array([0.5])
        E.params.maxDets = [10**9]
        E.params.areaRng = [[0, 1e10]]
        E.params.areaRngLbl = ["all"]
        E.evaluate()
        E.accumulate()
    return E.eval["precision"][:, :, 0, 0, 0], E.eval["recall"][:, 0, 0, 0]
