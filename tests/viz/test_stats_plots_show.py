from __future__ import annotations

import cv2
import numpy as np
import pytest

from vscrowd import DatasetError, VSCrowd
from vscrowd.eval import Predictions
from vscrowd.viz.plots import plot_all
from vscrowd.viz.show import render_frame, write_clip, write_overlay
from vscrowd.viz.stats import format_table, per_video, summary

from ..conftest import write_dataset

# train_001: frame heads 2, 1, 0; tracks 1 (2 frames), 2 (1 frame); box sizes 10x10, 10x10.
# test_001: heads 1, 3; tracks 9 (2 frames), 4, 5.
FILES = {
    "train_001": "0001 1 0 0 10 10 5 5 2 20 20 30 30 25 25\n0002 1 1 0 11 10 6 5\n0003\n",
    "test_001": "0001 9 0 0 4 4 2 2\n0002 9 0 0 4 4 2 2 4 0 0 2 8 1 1 5 10 10 14 14 12 12\n",
}


@pytest.fixture
def tiny(tmp_path):
    root = write_dataset(tmp_path / "d", FILES,
                         images={"train_001": (64, 48), "test_001": (64, 48)})
    return VSCrowd(root, cache=False)


def test_summary_hand_computed(tiny):
    t = summary(tiny).set_index("split")
    assert t.loc["train", "frames"] == 3 and t.loc["test", "frames"] == 2
    assert t.loc["train", "annotations"] == 3 and t.loc["test", "annotations"] == 4
    assert t.loc["train", "min_per_frame"] == 0 and t.loc["train", "max_per_frame"] == 2
    assert t.loc["train", "avg_per_frame"] == pytest.approx(1.0)
    assert t.loc["test", "avg_per_frame"] == pytest.approx(2.0)
    assert t.loc["train", "trajectories"] == 2 and t.loc["test", "trajectories"] == 3
    assert t.loc["all", "trajectories"] == 5
    assert t.loc["train", "track_len_mean"] == pytest.approx(1.5)
    assert t.loc["test", "track_len_median"] == pytest.approx(1.0)
    # test sizes: 4, 4, 4 (sqrt(2*8)), 4 -> all 4
    assert t.loc["test", "head_size_p50"] == pytest.approx(4.0)
    assert t.loc["all", "resolution"] == "64x48"
    pv = per_video(tiny).set_index("video")
    assert pv.loc["test_001", "max_per_frame"] == 3
    assert pv.loc["train_001", "trajectories"] == 2
    assert "train" in format_table(summary(tiny)) and "|" in format_table(summary(tiny),
                                                                          "markdown")


def test_every_figure_is_written_and_not_blank(synth_ds, tmp_path):
    paths = plot_all(synth_ds, tmp_path / "figs")
    assert {p.stem for p in paths} == {"heads_per_frame", "head_size", "size_vs_y",
                                       "track_length", "density", "count_curves"}
    for p in paths:
        img = cv2.imread(str(p))
        assert img is not None and img.shape[0] > 200
        assert img.std() > 10, f"{p.name} looks blank"
        assert len(np.unique(img.reshape(-1, 3), axis=0)) > 20
    svg = plot_all(synth_ds, tmp_path / "svg", fmt="svg")
    assert svg[0].read_text().lstrip().startswith("<?xml")


def test_overlay_colours_tp_fp_missed(tiny, tmp_path):
    preds = Predictions.from_records([
        {"video": "test_001", "frame": "0002", "points": [[2, 2, 0.9], [40, 40, 0.8]]}])
    ov = write_overlay(tiny, "test_001", "0002", tmp_path / "o" / "ov.png", preds, sigma=5)
    assert (ov.gt, ov.tp, ov.fp, ov.missed) == (3, 1, 1, 2)
    img = cv2.imread(str(tmp_path / "o" / "ov.png"))
    assert img.shape[:2] == (576, 768)  # 64x48 frames are enlarged x12 for drawing
    plain = render_frame(tiny, "test_001", "0001")
    assert plain.tp is None and plain.gt == 1


def test_overlay_errors(tiny, tmp_path):
    with pytest.raises(DatasetError, match="did you mean"):
        render_frame(tiny, "test_01", "0001")
    with pytest.raises(DatasetError, match="no frame '0009'"):
        render_frame(tiny, "test_001", "0009")
    (tiny.root / "videos" / "test_001" / "0001.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(DatasetError, match="unreadable"):
        render_frame(tiny, "test_001", "0001")


def test_clip_gif_and_mp4(tiny, tmp_path):
    g = write_clip(tiny, "train_001", tmp_path / "c.gif")
    assert g.read_bytes()[:3] == b"GIF"
    m = write_clip(tiny, "train_001", tmp_path / "c.mp4")
    assert m.stat().st_size > 100


def test_overlay_with_predictions_for_another_split(tiny):
    preds = Predictions.from_records([{"video": "train_001", "frame": "0001", "points": []}])
    with pytest.raises(DatasetError, match="another split"):
        render_frame(tiny, "test_001", "0002", preds)


def test_giant_image_overlay_is_downsampled(tmp_path):
    # UCF-QNRF's dense fixture image: 10,000 heads on 2400 x 1800 px. By default the
    # overlay's longer side is 2048 px (markers scaled with it); --max-side 0: full size.
    from click.testing import CliRunner
    from PIL import Image as PILImage
    from vscrowd.cli.main import app

    from vscrowd.datasets import dataset_info

    root = dataset_info("qnrf").synth(tmp_path / "q", seed=1)
    run = CliRunner().invoke
    for extra, size in (([], (2048, 1536)), (["--max-side", "0"], (2400, 1800)),
                        (["--max-side", "600"], (600, 450))):
        out = tmp_path / f"o{len(extra)}{size[0]}.png"
        res = run(app, ["show", str(root), "--video", "train", "--frame", "img_0001",
                        "--out", str(out), *extra])
        assert res.exit_code == 0 and "GT 10000" in res.output, res.output
        with PILImage.open(out) as im:
            assert im.size == size
