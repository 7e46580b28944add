"""SenseCrowd opened in its own layout (label_list_all/, video_ori/, the split lists):
exactly the label lines' boxes, points, IDs and sizes (read back here by splitting the
lines), detected from the layout, bad layouts named, and stats, show, verify, eval and a
2-step train/predict through the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from vscrowd.cli.main import app

import vscrowd
from vscrowd.datasets import detect
from vscrowd.errors import AnnotationFormatError, DatasetError
from vscrowd.eval import GroundTruth, Predictions, write_predictions
from vscrowd.synth.sensecrowd import synthesize_sensecrowd


@pytest.fixture(scope="module")
def root(tmp_path_factory) -> Path:
    return synthesize_sensecrowd(tmp_path_factory.mktemp("sense") / "s", videos=6, frames=4,
                                 size=(192, 108), seed=7)


def test_reads_back_exactly_the_label_lines(root):
    ds = vscrowd.open(root, cache=False)
    assert ds.name == "sensecrowd" and ds.is_video and ds.splits == ["train", "val", "test"]
    lists = {s: (root / f"{s}.txt").read_text().split() for s in ds.splits}
    assert dict(zip(ds.videos["video"], ds.videos["split"])) == {
        v: s for s, vs in lists.items() for v in vs}
    h, fr = ds.heads, ds.frames
    n = 0
    for label in sorted((root / "label_list_all").glob("*.txt")):
        for line in label.read_text().splitlines():
            tok = line.split()
            frame = Path(tok[0]).stem
            row = fr[(fr["video"] == label.stem) & (fr["frame"] == frame)].iloc[0]
            assert (row["width"], row["height"], row["path"]) == (
                int(tok[1]), int(tok[2]), f"video_ori/{label.stem}/{tok[0]}")
            assert (root / row["path"]).is_file()
            g = np.array(tok[3:], float).reshape(-1, 7)
            sel = ((h["video"] == label.stem) & (h["frame"] == frame)).to_numpy()
            np.testing.assert_array_equal(h.loc[sel, ["x1", "y1", "x2", "y2"]].to_numpy(),
                                          g[:, :4])
            np.testing.assert_array_equal(h.loc[sel, ["x", "y"]].to_numpy(), g[:, 4:6])
            np.testing.assert_array_equal(h.loc[sel, "head_id"].to_numpy(), g[:, 6])
            n += len(g)
    assert n == len(h) > 0
    assert detect(root).name == "sensecrowd"


def _copy(root: Path, tmp_path: Path) -> Path:
    return shutil.copytree(root, tmp_path / "c")


def test_bad_layouts_are_named(root, tmp_path):
    c = _copy(root, tmp_path)
    for s in ("train", "val", "test"):
        (c / f"{s}.txt").rename(c / f"{s}.bak")
    with pytest.raises(DatasetError, match=r"expected the split lists \['train.txt'"):
        vscrowd.open(c, cache=False)
    (c / "train.bak").rename(c / "train.txt")
    with pytest.raises(DatasetError, match=r"video\(s\) of .*label_list_all are in no split"):
        vscrowd.open(c, cache=False)
    (c / "val.bak").rename(c / "val.txt")
    (c / "test.bak").rename(c / "test.txt")
    (c / "test.txt").write_text((c / "test.txt").read_text() + "no_such_video\n")
    with pytest.raises(DatasetError, match=r"test.txt lists 1 video\(s\) without a "
                                           r"label_list_all/<video>.txt: \['no_such_video'\]"):
        vscrowd.open(c, cache=False)


def test_a_frame_file_name_must_be_a_plain_name(root, tmp_path):
    c = _copy(root, tmp_path)
    label = sorted((c / "label_list_all").glob("*.txt"))[0]
    lines = label.read_text().splitlines()
    lines[1] = "../../secret.jpg" + lines[1][lines[1].index(" "):]
    label.write_text("\n".join(lines) + "\n")
    with pytest.raises(AnnotationFormatError, match=r"line 2, token 1: expected a frame file "
                                                    r"name, got '../../secret.jpg'"):
        vscrowd.open(c, cache=False)


def test_cli_stats_show_verify_eval(root, tmp_path):
    run = CliRunner().invoke
    res = run(app, ["stats", str(root), "--json", "-"])
    assert res.exit_code == 0, res.output
    rows = {r["split"]: r for r in json.loads(res.output)["summary"]}
    assert rows["all"]["trajectories"] > 0 and rows["all"]["boxes"] == rows["all"]["annotations"]
    ds = vscrowd.open(root)
    fr = ds.frames.iloc[-1]
    res = run(app, ["show", str(root), "--video", str(fr["video"]), "--frame", str(fr["frame"]),
                    "--out", str(tmp_path / "s.png")])
    assert res.exit_code == 0 and (tmp_path / "s.png").is_file(), res.output
    res = run(app, ["verify", str(root)])
    assert res.exit_code == 0 and "complete" in res.output, res.output
    gt = GroundTruth.from_dataset(ds, "test")
    write_predictions(Predictions.from_arrays(gt.frames[["video", "frame"]], gt.frame_index,
                                              gt.xy + 1.0, np.full(len(gt), 0.9)),
                      tmp_path / "p.json")
    res = run(app, ["eval", str(tmp_path / "p.json"), "--data", str(root), "--split", "test",
                    "--metric", "box", "--json", "-"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["counting"]["MAE"] == 0 and doc["localization"][0]["AR.50"] > 0.99


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:VGG16 backbone is randomly")
def test_gnanet_train_predict_eval(root, tmp_path):
    pytest.importorskip("torch")
    from tests.datasets.cli_runs import eval_frames, train_and_predict

    preds = tmp_path / "p.json"
    doc = train_and_predict(root, tmp_path / "r", preds, "gnanet", "test")
    test_videos = set((root / "test.txt").read_text().split())
    assert {p["video"] for p in doc["predictions"]} == test_videos
    assert eval_frames(root, preds, "test") == 4 * len(test_videos)
