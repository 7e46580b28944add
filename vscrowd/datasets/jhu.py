"""JHU-Crowd++ (v2.0) in its published layout (docs/datasets.md, "JHU-Crowd++").

``ROOT/{train,val,test}/images/<id>.jpg``, ``ROOT/<split>/gt/<id>.txt`` with one head
per line ``x y w h o b`` (integers: head centre, box width and height, occlusion
1 visible / 2 partial / 3 full, blur 0/1) and ``ROOT/<split>/image_labels.txt`` with one
image per line ``id,total_count,scene_type,weather,distractor`` (weather 0 none,
1 fog/haze, 2 rain, 3 snow). As read by Graviti-AI/tensorbay-python-sdk
``tensorbay/opendataset/JHU_CROWD/loader.py`` and taohan10200/IIM
``prepare_JHU.py``. The head point is the stored centre ``(x, y)``; the box is
``(x - w/2, y - h/2, x + w/2, y + h/2)``. Image labels become frame columns ``count``,
``scene``, ``weather``, ``distractor``; each head's ``o`` and ``b`` the head columns
``occlusion`` (1-3) and ``blur`` (0/1).
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

from .._io import atomic_open
from .._text import read_bytes, read_small_files, read_text
from ..errors import AnnotationFormatError, VSCrowdWarning
from ._annotation_text import number_rows, number_rows_many
from .image_dataset import FrameColumns, ImageDataset, label_columns
from .info import DatasetInfo
from .synth_images import plan_images, prepare_out, write_image, write_manifest
from .values import locate_row, nonfinite_row

__all__ = ["INFO", "read_jhu", "read_jhu_gt", "synth_jhu"]

SPLITS = ("train", "val", "test")
WEATHER = {0: "none", 1: "fog/haze", 2: "rain", 3: "snow"}


def detect(root: Path) -> bool:
    return any((root / s / "image_labels.txt").is_file() and (root / s / "gt").is_dir()
               for s in SPLITS)


def read_jhu_gt(path: Path) -> np.ndarray:
    """``(n, 6)`` float64 rows ``x y w h o b`` of one ``gt/<id>.txt``.

    Raises:
        AnnotationFormatError: a line that is not six numbers (file and line).
    """
    fast = number_rows(read_bytes(path, AnnotationFormatError, "JHU-Crowd++ annotation"), 6)
    if fast is not None:
        return _finite(fast, path)
    text = read_text(path, AnnotationFormatError, "JHU-Crowd++ annotation")
    rows = []
    for no, line in enumerate(text.splitlines(), start=1):
        toks = line.split()
        if not toks:
            continue
        if len(toks) != 6:
            raise AnnotationFormatError(f"expected 'x y w h o b' (6 numbers), got "
                                        f"{len(toks)} values", path=path, line=no)
        try:
            rows.append([float(t) for t in toks])
        except ValueError:
            raise AnnotationFormatError(f"expected numbers, got {line.strip()!r}",
                                        path=path, line=no) from None
    return _finite(np.array(rows, np.float64).reshape(-1, 6), path)


def _finite(rows: np.ndarray, path: Path) -> np.ndarray:
    """``rows``, or an error naming the line of the first one with a NaN or an
    infinity (``nan``, ``inf``, ``1e400``)."""
    bad = nonfinite_row(rows)
    if bad is None:
        return rows
    raise AnnotationFormatError(f"expected finite numbers, got {rows[bad].tolist()}",
                                path=path, line=_line_of(path, bad))


def _line_of(path: Path, row: int) -> int | None:
    """The 1-based line of ``path`` holding row ``row`` (blank lines are not rows)."""
    text = read_text(path, AnnotationFormatError, "JHU-Crowd++ annotation")
    nos = [no for no, line in enumerate(text.splitlines(), start=1) if line.split()]
    return nos[row] if row < len(nos) else None


#: Head values outside what the dataset's README states, each warned of once.
_ODD_HEADS = {
    "a negative box width or height": lambda gt: (gt[:, 2] < 0) | (gt[:, 3] < 0),
    "an occlusion other than 1, 2 or 3": lambda gt: ~np.isin(gt[:, 4], (1, 2, 3)),
    "a blur other than 0 or 1": lambda gt: ~np.isin(gt[:, 5], (0, 1)),
}


def _warn_odd_heads(paths: list[Path], gts: list[np.ndarray], gt: np.ndarray) -> None:
    """One warning per kind of :data:`_ODD_HEADS` value: how many heads, the first one's
    file and line. The heads are kept (as points outside their image are): a wrong
    column order or another dataset's file shows here, a rare odd label does no harm."""
    for what, test in _ODD_HEADS.items():
        bad = np.flatnonzero(test(gt)) if len(gt) else ()
        if len(bad):
            row = int(bad[0])
            k, at = locate_row([len(g) for g in gts], row)
            line = _line_of(paths[k], at)
            warnings.warn(f"{len(bad)} JHU-Crowd++ head(s) with {what} (first: {paths[k]}, "
                          f"line {line}: {gt[row].tolist()}); kept, occlusion and blur "
                          "as whole numbers", VSCrowdWarning, stacklevel=4)


def _read_gts(gt_dir: Path, images: list[str]) -> list[np.ndarray]:
    """:func:`read_jhu_gt` of each ``gt_dir/<image>.txt``, the plain ones converted
    together. The files are read relative to the folder (:func:`read_small_files`); one
    it leaves (missing, unreadable) is read by name so that its error is the same, raised
    before any file's content is judged, as when each was read by path."""
    names = [f"{image}.txt" for image in images]
    datas = [data if data is not None
             else read_bytes(gt_dir / name, AnnotationFormatError, "JHU-Crowd++ annotation")
             for data, name in zip(read_small_files(gt_dir, names), names)]
    fast = number_rows_many(datas, 6)
    return [_finite(rows, gt_dir / name) if rows is not None else read_jhu_gt(gt_dir / name)
            for rows, name in zip(fast, names)]


def _labels(path: Path) -> dict[str, dict]:
    out = {}
    for no, line in enumerate(read_text(path, AnnotationFormatError, "image labels")
                              .splitlines(), start=1):
        if not line.strip():
            continue
        parts = [p.strip() for p in line.split(",")]
        if parts[0] in out:  # a second row would silently replace the first one's labels
            raise AnnotationFormatError(f"image {parts[0]} is listed twice", path=path,
                                        line=no)
        try:
            name, count, scene, weather, distractor = parts
            out[name] = {"count": int(count), "scene": scene,
                         "weather": WEATHER.get(int(weather), weather),
                         "distractor": bool(int(distractor))}
        except ValueError:
            raise AnnotationFormatError("expected 'id,total_count,scene_type,weather,"
                                        f"distractor', got {line.strip()!r}", path=path,
                                        line=no) from None
    return out


def read_jhu(root: str | Path) -> ImageDataset:
    """Every split of a JHU-Crowd++ root, images in ``image_labels.txt`` order."""
    root = Path(root)
    col: dict[str, list] = {k: [] for k in ("split", "image", "path", "labels", "gt")}
    for split in SPLITS:
        lab_file = root / split / "image_labels.txt"
        if not lab_file.is_file():
            continue
        labels_of = _labels(lab_file)
        col["gt"] += _read_gts(root / split / "gt", list(labels_of))
        col["split"] += [split] * len(labels_of)
        col["image"] += labels_of
        col["path"] += [f"{split}/images/{image}.jpg" for image in labels_of]
        col["labels"] += labels_of.values()
    # Whole columns at once (one array op, not one per image): the same values.
    gt = np.concatenate(col["gt"]) if col["gt"] else np.empty((0, 6))
    _warn_odd_heads([root / s / "gt" / f"{i}.txt" for s, i in zip(col["split"], col["image"])],
                    col["gt"], gt)
    xy, wh = gt[:, :2], gt[:, 2:4]
    columns = FrameColumns(
        col["split"], col["image"], col["path"],
        np.array([len(g) for g in col["gt"]], np.int64), xy,
        np.column_stack([xy - wh / 2, xy + wh / 2]), ids=np.full(len(gt), -1, np.int64),
        labels=label_columns(col["labels"]),
        head_labels={"occlusion": gt[:, 4].astype(np.int64),
                     "blur": gt[:, 5].astype(np.int64)} if col["gt"] else {})
    return ImageDataset.from_columns(root, columns, name="jhu", splits=SPLITS)


def synth_jhu(out: str | Path, seed: int = 0, overwrite: bool = False) -> Path:
    """A small JHU-Crowd++ copy: 4 train, 2 val, 2 test images (one distractor image
    without heads; the first with 10,000 heads)."""
    out = prepare_out(out, overwrite)
    plan = plan_images(seed, {"train": 4, "val": 2, "test": 2}, dense=10_000,
                       integer=True)
    rng = np.random.default_rng(seed)
    labels: dict[str, list[str]] = {s: [] for s in SPLITS}
    for i, im in enumerate(plan):
        xy, wh = (im.xy, im.wh) if i != 1 else (im.xy[:0], im.wh[:0])  # a distractor
        n = len(xy)
        ob = np.column_stack([rng.integers(1, 4, n), rng.integers(0, 2, n)])
        rows = np.column_stack([xy, wh, ob]).astype(np.int64)
        image = f"{im.index:04d}"
        (out / im.split / "gt").mkdir(parents=True, exist_ok=True)
        with atomic_open(out / im.split / "gt" / f"{image}.txt", "w") as fh:
            fh.write("".join(" ".join(map(str, r)) + "\n" for r in rows.tolist()))
        write_image(out / im.split / "images" / f"{image}.jpg", im.size, xy, seed + im.index)
        labels[im.split].append(f"{image},{n},{['street', 'stadium'][i % 2]},{i % 4},"
                                f"{int(n == 0)}")
    for split, rows in labels.items():
        with atomic_open(out / split / "image_labels.txt", "w") as fh:
            fh.write("".join(r + "\n" for r in rows))
    plan[1] = type(plan[1])(plan[1].split, plan[1].index, plan[1].size, plan[1].xy[:0],
                            plan[1].wh[:0])
    write_manifest(out, "jhu", plan, seed)
    return out


INFO = DatasetInfo(
    name="jhu", title="JHU-Crowd++", kind="image", images=4372, heads=1_515_005,
    splits={"train": 2272, "val": 500, "test": 1600},
    resolution="mixed; 0-25,791 heads per image",
    paper_tables="(none: not in the GNANet paper's tables; registered for the field)",
    source="http://www.crowd-counting.com/",
    licence="non-commercial research use (dataset page); images from the Internet",
    expects="<split>/gt/<id>.txt, <split>/images/<id>.jpg and <split>/image_labels.txt "
            "for train/val/test",
    facts_source="Sindagi et al., JHU-CROWD++, arXiv:2004.03597 (abstract: 4,372 images, "
                 "1.51 million heads; Sec. 3 splits, as recalled); 1,515,005 heads as listed "
                 "in GuoleiSun/Indiscernible-Object-Counting@506f1ab README.md Table 1",
    top_level=("train", "val", "test"),
    detect=detect, read=read_jhu, synth=synth_jhu)
