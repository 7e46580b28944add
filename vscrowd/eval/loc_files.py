"""NWPU-Crowd's localization files: the ground truth ``val_gt_loc.txt`` (one line per
image: ``id num`` then ``x y σ_s σ_l level`` per head) and prediction files (one line
per image: ``id num`` then ``x y`` per point), as read by the official evaluation
(gjy3035/NWPU-Crowd-Sample-Code-for-Localization ``eval/utils.py``
``read_pred_and_gt``; docs/datasets.md, "NWPU-Crowd").

Images are frames of one unnamed "video" (``""``) whose FrameID is the image id, so
the evaluator pairs predictions and ground truth by id. Prediction points have no
score; every point counts (score 1.0), as in the official evaluation.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .._text import is_number, read_text
from ..errors import AnnotationFormatError, PredictionFormatError
from .groundtruth import GroundTruth
from .predictions import Predictions

__all__ = ["is_loc_predictions", "read_loc_groundtruth", "read_loc_predictions"]

#: The video name of every image of a localization file.
IMAGE_VIDEO = ""


def _parse(path: Path, per_head: int, error: type, what: str
           ) -> tuple[list[str], list[np.ndarray]]:
    """(image ids, ``(num, per_head)`` int64 arrays) of the lines of a localization file,
    with errors naming file, line and field."""
    ids, rows, seen = [], [], {}
    text = read_text(path, error, what)
    for no, line in enumerate(text.splitlines(), start=1):
        toks = line.split()
        if not toks:
            continue
        try:
            vals = np.array(toks, dtype=np.float64)
        except ValueError:
            bad = next(t for t in toks if not is_number(t))
            raise error(f"expected a number, got {bad!r}", path=path, line=no) from None
        if len(vals) < 2 or vals[1] != int(vals[1]) or vals[1] < 0:
            raise error("expected 'id num' then the points, got "
                        f"{' '.join(toks[:2])!r}", path=path, line=no)
        num = int(vals[1])
        if len(vals) != 2 + per_head * num:
            raise error(f"expected {per_head} values per head for num={num} "
                        f"({2 + per_head * num} values), got {len(vals)} values "
                        f"(a file of another format?)", path=path, line=no)
        if toks[0] in seen:
            raise error(f"image id {toks[0]} listed twice (first on line {seen[toks[0]]})",
                        path=path, line=no)
        seen[toks[0]] = no
        ids.append(toks[0])
        rows.append(vals[2:].reshape(num, per_head))
    if not ids:
        raise error(f"no images in the {what}", path=path)
    return ids, rows


def _frames(ids: list[str]) -> pd.DataFrame:
    n = len(ids)
    return pd.DataFrame({"video": pd.Series([IMAGE_VIDEO] * n, dtype=object),
                         "frame": pd.Series(ids, dtype=object),
                         "width": np.full(n, np.nan), "height": np.full(n, np.nan)})


def read_loc_groundtruth(path: str | Path) -> GroundTruth:
    """``val_gt_loc.txt`` as a :class:`GroundTruth` with per-head ``radius``
    ``(σ_s, σ_l)`` and ``level``; images in file order, boxes zero-size at the point
    (the file has none).

    Raises:
        AnnotationFormatError: a line that is not ``id num (x y σ_s σ_l level)*``.
    """
    path = Path(path)
    ids, rows = _parse(path, 5, AnnotationFormatError, "localization ground truth")
    counts = [len(r) for r in rows]
    heads = np.concatenate(rows) if rows else np.empty((0, 5))
    xy = heads[:, :2]
    return GroundTruth(_frames(ids), np.repeat(np.arange(len(ids)), counts), xy,
                       box=np.column_stack([xy, xy]), radius=heads[:, 2:4],
                       level=heads[:, 4].astype(np.int64))


def read_loc_predictions(path: str | Path) -> Predictions:
    """A prediction file ``id num (x y)*`` as :class:`Predictions` (score 1.0).

    Raises:
        PredictionFormatError: a line that is not ``id num (x y)*``.
    """
    path = Path(path)
    ids, rows = _parse(path, 2, PredictionFormatError, "localization prediction file")
    counts = [len(r) for r in rows]
    xy = np.concatenate(rows) if rows else np.empty((0, 2))
    return Predictions.from_arrays(_frames(ids)[["video", "frame"]],
                                   np.repeat(np.arange(len(ids)), counts), xy,
                                   np.ones(len(xy)), source=str(path))


def is_loc_predictions(path: str | Path) -> bool:
    """Whether ``path`` is a single ``.txt`` file (a localization prediction file;
    vscrowd's own TXT predictions are a folder of per-video files)."""
    path = Path(path)
    return path.is_file() and path.suffix.lower() == ".txt"
