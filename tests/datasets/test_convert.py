from __future__ import annotations

import contextlib
import io
import json

import numpy as np
import pyarrow.parquet as pq
import pytest
from pycocotools.coco import COCO

from vscrowd import VSCrowd
from vscrowd.datasets.convert import to_coco, to_parquet, to_yolo, yolo_boxes

from ..conftest import write_dataset


def test_coco_loads_in_pycocotools(synth_ds, tmp_path):
    out = to_coco(synth_ds, tmp_path / "coco.json")
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(out))
    assert len(coco.getAnnIds()) == len(synth_ds.heads)
    assert len(coco.getImgIds()) == len(synth_ds.frames)
    ann = coco.loadAnns([1])[0]
    first = synth_ds.heads.iloc[0]  # annotation ids follow the heads table
    assert ann["keypoints"][:2] == [first["x"], first["y"]]
    assert ann["track_id"] == int(first["head_id"])
    img = coco.loadImgs([ann["image_id"]])[0]
    assert (img["video"], img["frame"]) == (first["video"], first["frame"])
    assert ann["num_keypoints"] == 1


def test_yolo_hand_computed(tmp_path):
    # Image 100x50. Box (10, 5, 30, 25) -> cx .2 cy .3 w .2 h .4.
    # Box (90, 40, 120, 60) is clipped to (90, 40, 100, 50) -> cx .95 cy .9 w .1 h .2.
    root = write_dataset(tmp_path / "d", {
        "train_001": "0001 1 10 5 30 25 20 15 2 90 40 120 60 95 45\n0002\n"},
        images={"train_001": (100, 50)})
    ds = VSCrowd(root, cache=False)
    out = to_yolo(ds, tmp_path / "yolo")
    lines = (out / "labels" / "train_001" / "0001.txt").read_text().splitlines()
    assert lines == ["0 0.200000 0.300000 0.200000 0.400000",
                     "0 0.950000 0.900000 0.100000 0.200000"]
    assert (out / "labels" / "train_001" / "0002.txt").read_text() == ""


def test_yolo_boxes_drop_empty():
    out = yolo_boxes(np.array([[200.0, 0, 300, 10]]), 100, 100)
    assert out.shape == (0, 4)


def test_parquet(synth_ds, tmp_path):
    out = to_parquet(synth_ds, tmp_path / "pq")
    heads = pq.read_table(out / "heads.parquet").to_pandas()
    assert len(heads) == len(synth_ds.heads)
    np.testing.assert_array_equal(heads["x"].to_numpy(), synth_ds.heads["x"].to_numpy())
    assert len(pq.read_table(out / "frames.parquet")) == len(synth_ds.frames)


def test_coco_json_is_valid_json(synth_ds, tmp_path):
    doc = json.loads(to_coco(synth_ds, tmp_path / "c.json").read_text())
    assert doc["categories"][0]["keypoints"] == ["head_center"]
    assert [i["id"] for i in doc["images"]] == list(range(1, len(doc["images"]) + 1))


@pytest.mark.parametrize("fmt", ["coco", "yolo", "parquet"])
def test_convert_dispatch(synth_ds, tmp_path, fmt):
    from vscrowd.datasets.convert import convert

    assert convert(synth_ds, fmt, tmp_path / f"o.{fmt}").exists()


def test_yolo_of_an_image_dataset_uses_each_images_size(tmp_path):
    # Its images differ in size (one "video" per split): YOLO was refused for every
    # unmodified image dataset, naming a videos/ folder that does not exist.
    from PIL import Image

    import vscrowd
    from vscrowd.datasets import dataset_info

    root = dataset_info("nwpu").synth(tmp_path / "nwpu", seed=2)
    ds = vscrowd.open(root, cache=False)
    assert ds.frames.groupby("video")["width"].nunique().max() > 1  # mixed sizes
    out = to_yolo(ds, tmp_path / "yolo")
    for fa in ds.iter_frames():
        w, h = Image.open(ds.image_path(fa.video, fa.frame)).size
        rows = np.loadtxt(out / "labels" / fa.video / f"{fa.frame}.txt", ndmin=2)
        np.testing.assert_allclose(rows[:, 1:], yolo_boxes(fa.box, w, h), atol=1e-6)
