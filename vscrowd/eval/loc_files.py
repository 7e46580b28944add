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

from .._text import finite_numbers, read_text
from ..errors import AnnotationFormatError, PredictionFormatError
from .groundtruth import GroundTruth
from .predictions import MAX_COORDINATE, Predictions

__all__ = ["is_loc_predictions", "read_loc_groundtruth", "read_loc_predictions"]

#: The video name of every image of a localization file.
IMAGE_VIDEO = ""


def _parse(path: Path, per_head: int, error: type, what: str, check
           ) -> tuple[list[str], list[np.ndarray]]:
    """(image ids, ``(num, per_head)`` float64 arrays) of the lines of a localization
    file, with errors naming file, line and field; ``check(heads) -> (head, message) |
    None`` judges each line's heads."""
    ids, rows, seen = [], [], {}
    text = read_text(path, error, what)
    for no, line in enumerate(text.splitlines(), start=1):
        toks = line.split()
        if not toks:
            continue
        vals = finite_numbers(toks, error, path, no)
        if len(vals) < 2 or vals[1] != np.floor(vals[1]) or vals[1] < 0:
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
        heads = vals[2:].reshape(num, per_head)
        bad = check(heads)
        if bad is not None:
            raise error(bad[1], path=path, line=no,
                        field=f"head {bad[0] + 1} (tokens {3 + bad[0] * per_head}-"
                              f"{2 + (bad[0] + 1) * per_head})")
        ids.append(toks[0])
        rows.append(heads)
    if not ids:
        raise error(f"no images in the {what}", path=path)
    return ids, rows


def _gt_heads(heads: np.ndarray) -> tuple[int, str] | None:
    """The first head whose radii are not positive or whose level is not a whole
    number >= 0 (the official file: radii 1-1,106 px, levels 0-5)."""
    radius, level = heads[:, 2:4], heads[:, 4]
    bad = (radius <= 0).any(1) | (level < 0) | (level != np.floor(level))
    if not bad.any():
        return None
    k = int(np.flatnonzero(bad)[0])
    return k, (f"expected sigma_s, sigma_l > 0 and a level >= 0, got "
               f"{heads[k, 2:].tolist()}")


def _pred_points(points: np.ndarray) -> tuple[int, str] | None:
    """The first point beyond ±MAX_COORDINATE px (as JSON prediction files)."""
    far = (np.abs(points) > MAX_COORDINATE).any(1)
    if not far.any():
        return None
    k = int(np.flatnonzero(far)[0])
    return k, (f"expected coordinates within ±{MAX_COORDINATE:g} px, got "
               f"{points[k].tolist()}")


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
    ids, rows = _parse(path, 5, AnnotationFormatError, "localization ground truth",
                       _gt_heads)
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
    ids, rows = _parse(path, 2, PredictionFormatError, "localization prediction file",
                       _pred_points)
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
