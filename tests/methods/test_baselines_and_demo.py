"""The training-free baseline and the demo pipeline (``make demo``'s main job)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from vscrowd import DatasetError, VSCrowd
from vscrowd.demo import run_demo
from vscrowd.eval import evaluate
from vscrowd.methods.baselines import background_blobs

from ..conftest import write_dataset


def test_background_blobs_finds_what_moves(tmp_path):
    """Hand-checkable: a static background and one bright square per frame that moves;
    the baseline reports a point on the square and nothing on the static parts."""
    root = write_dataset(tmp_path / "d", {"test_001": "0001\n0002\n0003\n"},
                         images={"test_001": (40, 30)})
    for i, (x, y) in enumerate([(8, 8), (20, 12), (30, 20)]):
        img = np.full((30, 40, 3), 90, np.uint8)
        img[y - 2:y + 3, x - 2:x + 3] = 250
        cv2.imwrite(str(root / "videos" / "test_001" / f"{i + 1:04d}.jpg"), img)
    preds = background_blobs(VSCrowd(root, cache=False))
    assert preds.method == "background-blobs" and len(preds.frames) == 3
    for row, (x, y) in enumerate([(8, 8), (20, 12), (30, 20)]):
        here = preds.in_frame(row)
        best = here.xy[np.argmax(here.score)]
        assert np.hypot(*(best - (x, y))) <= 2.0, (row, here.xy.tolist())


def test_background_blobs_names_a_missing_image(tmp_path):
    root = write_dataset(tmp_path / "d", {"test_001": "0001\n0002\n"},
                         images={"test_001": (40, 30)})
    (root / "videos" / "test_001" / "0002.jpg").unlink()
    with pytest.warns(Warning):
        ds = VSCrowd(root, cache=False)
    with pytest.raises(DatasetError, match="0002.jpg"):
        background_blobs(ds)


@pytest.mark.filterwarnings("ignore:VGG16 backbone is randomly")
def test_demo_runs_every_step(tmp_path):
    lines: list[str] = []
    results = run_demo(tmp_path / "demo", echo=lines.append, steps=2)
    assert set(results) == {"background", "gnanet-demo", "tracks"}
    text = "\n".join(lines)
    for step in ("== 1.", "== 2.", "== 3.", "== 6."):
        assert step in text
    assert results["background"].sigma(20).map > 0.05  # the baseline localizes something
    assert results["tracks"].tracking is not None
    for name in ("preds_background.json", "preds_gnanet.json", "tracks.json", "overlay.png"):
        assert (tmp_path / "demo" / name).is_file(), name
    ds = VSCrowd(tmp_path / "demo" / "data")
    again = evaluate(ds, tmp_path / "demo" / "preds_background.json", split="test")
    assert again.to_dict() == results["background"].to_dict()
