"""The video datasets in their own formats (FDST, Venice, DroneCrowd, Mall, UCSD): each
opens through ``vscrowd.open`` with exactly the boxes, points and track IDs in its files
(read back here by an independent reader: json / scipy.io), videos are the real sequences, a
malformed file names the file and field, and stats, show, verify and eval run."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.io import loadmat, savemat
from vscrowd.cli.main import app

import vscrowd
from vscrowd.acquire.dataset_checks import verify_dataset
from vscrowd.datasets import dataset_info, detect
from vscrowd.errors import AnnotationFormatError
from vscrowd.eval import GroundTruth, Predictions, write_predictions

VIDEO = ["fdst", "venice", "dronecrowd", "mall", "ucsd"]
BOXED = ["fdst", "dronecrowd"]


@pytest.fixture(scope="module")
def roots(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("native-video")
    return {n: dataset_info(n).synth(base / n, seed=5) for n in VIDEO}


def _raw(name: str, root: Path) -> dict[tuple[str, str], tuple[np.ndarray, np.ndarray]]:
    """``{(video, frame): (boxes x1 y1 x2 y2, track ids)}`` straight from the files."""
    out = {}
    if name == "fdst":
        for js in root.glob("*_data/*/*.json"):
            (entry,) = json.loads(js.read_text()).values()
            rects = [r["shape_attributes"] for r in entry["regions"]]
            box = np.array([[r["x"], r["y"], r["x"] + r["width"], r["y"] + r["height"]]
                            for r in rects], float).reshape(-1, 4)
            out[js.parent.name, js.stem] = box, np.full(len(box), -1)
    elif name == "mall":
        gt = loadmat(root / "mall_gt.mat")
        for k, cell in enumerate(gt["frame"][0], start=1):
            xy = cell[0][0][0].reshape(-1, 2)
            video = "mall_train" if k <= 800 else "mall_test"
            out[video, f"{k:06d}"] = np.column_stack([xy, xy]), np.full(len(xy), -1)
    elif name == "venice":
        for mat in root.glob("*_data/ground-truth/*.mat"):
            xy = loadmat(mat)["annotation"].reshape(-1, 2)
            scene, frame = mat.stem.split("_")
            out[scene, frame] = np.column_stack([xy, xy]), np.full(len(xy), -1)
    elif name == "ucsd":
        for mat in root.glob("vidf-cvpr/*_frame_full.mat"):
            for t, cell in enumerate(loadmat(mat)["frame"][0], start=1):
                xy = cell[0][0][0][:, :2]
                out[mat.stem[:12], f"{t:03d}"] = np.column_stack([xy, xy]), np.full(len(xy), -1)
    else:
        for mat in (root / "annotations").glob("*.mat"):
            anno = loadmat(mat)["anno"]
            for f in np.unique(anno[:, 0]):
                rows = anno[anno[:, 0] == f]
                out[mat.stem, f"{int(f) + 1:03d}"] = rows[:, 2:6], rows[:, 1].astype(int)
    return out


@pytest.mark.parametrize("name", VIDEO)
def test_reads_back_exactly_what_was_written(roots, name):
    ds = vscrowd.open(roots[name])
    assert ds.name == name and ds.is_video and type(ds).__name__ == "VideoDataset"
    raw = _raw(name, roots[name])
    assert len(ds.frames) == len(raw) and len(ds.heads) == sum(len(b) for b, _ in raw.values())
    h = ds.heads
    key = h["video"].astype(str) + "/" + h["frame"].astype(str)
    for (video, frame), (box, ids) in raw.items():
        sel = (key == f"{video}/{frame}").to_numpy()
        assert np.array_equal(h.loc[sel, ["x1", "y1", "x2", "y2"]].to_numpy(), box)
        assert np.array_equal(h.loc[sel, ["x", "y"]].to_numpy(),
                              (box[:, :2] + box[:, 2:]) / 2)  # the centre, exactly
        assert np.array_equal(h.loc[sel, "head_id"].to_numpy(), ids)
        assert ds.image_path(video, frame).is_file()


@pytest.mark.parametrize("name", VIDEO)
def test_videos_are_the_sequences(roots, name):
    ds = vscrowd.open(roots[name], dataset=name)
    assert detect(roots[name]).name == name
    manifest = json.loads((roots[name] / "synth.json").read_text())
    per_split = ds.frames["video"].astype(str).map(dict(zip(ds.videos["video"],
                                                            ds.videos["split"])))
    assert per_split.value_counts().to_dict() == manifest["splits"]
    assert set(ds.videos["split"]) >= {"train", "test"}
    video = ds.videos["video"].iloc[0]
    fr = ds.frames[ds.frames["video"] == video]
    assert fr["frame_index"].tolist() == list(range(ds.videos["n_frames"].iloc[0]))
    assert ds.clip(video, fr["frame"].iloc[0], length=3) == [fr["frame"].iloc[0]] * 2 + [
        fr["frame"].iloc[1]]
    assert len(ds.select(split="test").videos) == 1


def test_fdst_layout_and_ids(roots):
    root = roots["fdst"]
    assert sorted(p.name for p in (root / "train_data").iterdir()) == ["1", "2"]
    assert (root / "test_data" / "3" / "001.json").is_file()
    assert (vscrowd.open(root).heads["head_id"] == -1).all()  # FDST has no track IDs


def test_dronecrowd_tracks(roots):
    ds = vscrowd.open(roots["dronecrowd"])
    assert (ds.heads["head_id"] > 0).all()
    assert (roots["dronecrowd"] / "testlist.txt").read_text() == "4\n"
    assert ds.videos.set_index("video").loc["00004", "split"] == "test"


def test_fdst_region_without_a_field(roots, tmp_path):
    root = shutil.copytree(roots["fdst"], tmp_path / "f")
    bad = root / "test_data" / "3" / "002.json"
    doc = json.loads(bad.read_text())
    (entry,) = doc.values()
    del entry["regions"][1]["shape_attributes"]["width"]
    bad.write_text(json.dumps(doc))
    with pytest.raises(AnnotationFormatError) as err:
        vscrowd.open(root)
    assert "002.json" in str(err.value) and "regions[1].shape_attributes.width" in str(err.value)


def test_fdst_foreign_json(roots, tmp_path):
    root = shutil.copytree(roots["fdst"], tmp_path / "f")
    bad = root / "train_data" / "1" / "003.json"
    bad.write_text('{"points": [[1, 2]], "boxes": []}')  # an NWPU-Crowd json
    with pytest.raises(AnnotationFormatError, match="003.json.*top level"):
        vscrowd.open(root, dataset="fdst")


@pytest.mark.parametrize("content, needle", [({"points": np.zeros((2, 6))}, "'anno'"),
                                             ({"anno": np.zeros((2, 5))}, r"\(n, 6\)")])
def test_dronecrowd_bad_mat(roots, tmp_path, content, needle):
    root = shutil.copytree(roots["dronecrowd"], tmp_path / "d")
    bad = root / "annotations" / "00002.mat"
    savemat(bad, content)
    with pytest.raises(AnnotationFormatError, match=needle) as err:
        vscrowd.open(root)
    assert "00002.mat" in str(err.value) and "anno" in str(err.value)


def test_dronecrowd_repeated_frame_and_id_is_warned_once(roots, tmp_path):
    root = shutil.copytree(roots["dronecrowd"], tmp_path / "d")
    mat = root / "annotations" / "00002.mat"
    anno = loadmat(mat)["anno"]
    savemat(mat, {"anno": np.concatenate([anno, anno[[3, 1]]])})  # rows 2 and 4 again
    with pytest.warns(vscrowd.VSCrowdWarning) as caught:
        ds = vscrowd.open(root, cache=False)
    got = [str(w.message) for w in caught if "repeat" in str(w.message)]
    n = len(anno)
    assert got == [f"{mat}: 2 row(s) of anno repeat a (frame, track ID) pair (first: row "
                   f"{n + 1}, frame {int(anno[3, 0])} of the file, {int(anno[3, 0]) + 1:03d} "
                   f"in vscrowd, ID {int(anno[3, 1])}); kept"]
    assert len(ds.heads) == len(vscrowd.open(roots["dronecrowd"]).heads) + 2


def test_dronecrowd_fractional_track_id(roots, tmp_path):
    root = shutil.copytree(roots["dronecrowd"], tmp_path / "d")
    mat = root / "annotations" / "00002.mat"
    anno = loadmat(mat)["anno"].astype(np.float64)
    anno[4, 1] += 0.5
    savemat(mat, {"anno": anno})
    with pytest.raises(AnnotationFormatError) as err:
        vscrowd.open(root, cache=False)
    assert str(err.value) == f"{mat}, anno: expected whole-number track IDs in column 2, " \
                             f"got {anno[4, 1]:g} in row 5"


def test_mall_split_counts_and_labels(roots):
    ds = vscrowd.open(roots["mall"])
    assert ds.videos[["video", "split", "n_frames"]].values.tolist() == [
        ["mall_train", "train", 800], ["mall_test", "test", 4]]
    assert (ds.frames["count"] == ds.frames["n_heads"]).all()
    assert (ds.heads["x1"] == ds.heads["x2"]).all()  # points only: zero-size boxes


def test_mall_bad_loc(roots, tmp_path):
    root = shutil.copytree(roots["mall"], tmp_path / "m")
    gt = loadmat(root / "mall_gt.mat")
    cells = gt["frame"]
    cells[0, 2] = {"loc": np.zeros((4, 3))}
    savemat(root / "mall_gt.mat", {"frame": cells, "count": gt["count"]})
    with pytest.raises(AnnotationFormatError) as err:
        vscrowd.open(root)
    assert "mall_gt.mat" in str(err.value) and "frame{3}.loc" in str(err.value)


def _mall_with_count(roots, tmp_path, count) -> Path:
    root = shutil.copytree(roots["mall"], tmp_path / "m")
    gt = loadmat(root / "mall_gt.mat")
    savemat(root / "mall_gt.mat", {"frame": gt["frame"], "count": count(gt["count"])})
    return root


@pytest.mark.parametrize("value, shown", [(np.nan, "nan"), (-1.0, "-1.0"), (2.5, "2.5"),
                                          (np.inf, "inf"), (1e20, "1e+20")])
def test_mall_count_that_is_not_a_whole_number(roots, tmp_path, value, shown):
    # (NaN was "cannot convert float NaN to integer"; 2.5 became 2.)
    def spoil(c):
        c = c.astype(np.float64)
        c[2, 0] = value
        return c

    root = _mall_with_count(roots, tmp_path, spoil)
    with pytest.raises(AnnotationFormatError) as err:
        vscrowd.open(root, cache=False)
    assert str(err.value).startswith(f"{root / 'mall_gt.mat'}, count: expected whole "
                                     f"numbers from 0 to 2**53, got {shown} in row 3")


def test_mall_count_that_is_not_the_points_is_warned_once(roots, tmp_path):
    def spoil(c):
        c = c.copy()
        c[[4, 9], 0] += 1
        return c[:-1]

    root = _mall_with_count(roots, tmp_path, spoil)
    n = len(vscrowd.open(roots["mall"]).frames)
    with pytest.warns(vscrowd.VSCrowdWarning) as caught:
        ds = vscrowd.open(root, cache=False)
    msgs = [str(w.message) for w in caught if "count" in str(w.message)]
    ref = loadmat(roots["mall"] / "mall_gt.mat")["count"].ravel()
    assert msgs == [f"{root / 'mall_gt.mat'}: count differs from the points in 2 frame(s) "
                    f"(first: frame 5, count {int(ref[4]) + 1}, {int(ref[4])} points); count "
                    f"has {n - 1} entries for {n} frames (the points are kept)"]
    assert len(ds.heads) == int(ref.sum())  # the points, whatever the counts say


def _roi_heads_by_loop(mask: np.ndarray, xy: np.ndarray) -> int:
    """Heads inside a mask, one point at a time (MATLAB pixel (1, 1) is mask[0, 0])."""
    n = 0
    for x, y in xy:
        col, row = int(np.floor(x + 0.5)) - 1, int(np.floor(y + 0.5)) - 1
        n += 0 <= row < mask.shape[0] and 0 <= col < mask.shape[1] and bool(mask[row, col])
    return n


def test_venice_scenes_and_roi(roots):
    from vscrowd.datasets.venice import roi_mask

    ds = vscrowd.open(roots["venice"])
    assert ds.videos[["video", "split", "n_frames"]].values.tolist() == [
        ["4896", "train", 6], ["4895", "test", 4]]
    assert ds.frames["frame"].iloc[:2].tolist() == ["000060", "000120"]
    for _, fr in ds.frames.iterrows():
        mat = loadmat(roots["venice"] / Path(fr["path"]).parent.parent / "ground-truth" /
                      f"{fr['video']}_{fr['frame']}.mat")
        assert fr["roi_heads"] == _roi_heads_by_loop(mat["roi"], mat["annotation"])
        assert np.array_equal(roi_mask(ds, fr["video"], fr["frame"]), mat["roi"] != 0)
    assert 0 < ds.frames["roi_heads"].sum() < ds.frames["n_heads"].sum()


def test_venice_roi_of_another_size_is_warned_once(roots, tmp_path):
    root = shutil.copytree(roots["venice"], tmp_path / "v")
    mats = sorted((root / "test_data" / "ground-truth").glob("*.mat"))
    for mat in mats[:2]:
        doc = loadmat(mat)
        savemat(mat, {"annotation": doc["annotation"], "roi": doc["roi"].T})  # turned
    h, w = loadmat(mats[0])["roi"].shape
    with pytest.warns(vscrowd.VSCrowdWarning) as caught:
        ds = vscrowd.open(root, cache=False)
    got = [str(m.message) for m in caught if "ROI" in str(m.message)]
    assert got == [f"2 Venice ROI mask(s) of another size than their image (first: "
                   f"{mats[0]}: roi {w}x{h}, image {h}x{w}); roi_heads counts the points "
                   "on the mask as stored"]
    assert ds.frames["width"].tolist() == vscrowd.open(roots["venice"]).frames["width"].tolist()


def test_ucsd_clips_protocol_and_roi(roots):
    from vscrowd.datasets.ucsd import roi_mask

    ds = vscrowd.open(roots["ucsd"])
    assert ds.videos[["video", "split"]].values.tolist() == [
        ["vidf1_33_003", "train"], ["vidf1_33_004", "train"], ["vidf1_33_007", "test"]]
    mask = loadmat(roots["ucsd"] / "vidf-cvpr" / "vidf1_33_roi_mainwalkway.mat")["roi"][0, 0][0]
    assert np.array_equal(roi_mask(roots["ucsd"]), mask != 0)
    heads = ds.heads
    for _, fr in ds.frames.iterrows():
        sel = ((heads["video"] == fr["video"]) & (heads["frame"] == fr["frame"])).to_numpy()
        assert fr["roi_heads"] == _roi_heads_by_loop(mask, heads.loc[sel, ["x", "y"]].to_numpy())


@pytest.mark.parametrize("mat, content, needle", [
    ("test_data/ground-truth/4895_000060.mat", {"roi": np.ones((2, 2))}, "'annotation'"),
    ("test_data/ground-truth/4895_000060.mat", {"annotation": np.ones((3, 2))}, "'roi'"),
    ("test_data/ground-truth/4895_000060.mat", {"annotation": np.ones((3, 2)),
                                                "roi": np.ones((2, 2, 2))}, "mask"),
    ("vidf-cvpr/vidf1_33_007_frame_full.mat", {"frames": 1}, "'frame'")])
def test_venice_ucsd_bad_mat(roots, tmp_path, mat, content, needle):
    name = "venice" if mat.startswith("test_data") else "ucsd"
    root = shutil.copytree(roots[name], tmp_path / "c")
    savemat(root / mat, content)
    with pytest.raises(AnnotationFormatError, match=needle) as err:
        vscrowd.open(root, dataset=name)
    assert Path(mat).name in str(err.value)


def test_ucsd_loc_of_another_width(roots, tmp_path):
    root = shutil.copytree(roots["ucsd"], tmp_path / "u")
    path = root / "vidf-cvpr" / "vidf1_33_004_frame_full.mat"
    cells = loadmat(path)["frame"]
    cells[0, 1] = {"loc": np.zeros((4, 5))}
    savemat(path, {"frame": cells})
    with pytest.raises(AnnotationFormatError, match=r"frame\{2\}\.loc.*\(n, 3\) or \(n, 2\)"):
        vscrowd.open(root)


@pytest.mark.parametrize("name", VIDEO)
def test_verify_complete_then_broken(roots, name, tmp_path):
    assert verify_dataset(roots[name]).complete
    root = shutil.copytree(roots[name], tmp_path / "c")
    (root / vscrowd.open(root).frames["path"].iloc[-1]).unlink()
    with pytest.warns(UserWarning, match="missing"):
        report = verify_dataset(root, name)
    assert not report.complete
    assert not next(c for c in report.checks if c.name == "images present").passed


@pytest.mark.parametrize("name", VIDEO)
def test_cli_synth_stats_show_verify_eval(roots, name, tmp_path):
    run = CliRunner().invoke
    res = run(app, ["synth", str(tmp_path / "s"), "--flavour", name, "--seed", "5"])
    assert res.exit_code == 0 and detect(tmp_path / "s").name == name, res.output
    root = roots[name]
    res = run(app, ["stats", str(root), "--json", "-"])  # detected: no --dataset
    assert res.exit_code == 0, res.output
    rows = {r["split"]: r for r in json.loads(res.output)["summary"]}
    assert rows["all"]["annotations"] > 0
    assert (rows["all"]["boxes"] == rows["all"]["annotations"]) == (name in BOXED)
    assert (rows["all"]["trajectories"] > 0) == (name == "dronecrowd")
    ds = vscrowd.open(root)
    fr = ds.frames.iloc[-1]
    out = tmp_path / "s.png"
    res = run(app, ["show", str(root), "--video", str(fr["video"]), "--frame",
                    str(fr["frame"]), "--out", str(out)])
    assert res.exit_code == 0 and out.is_file(), res.output
    res = run(app, ["verify", str(root), "--dataset", name])
    assert res.exit_code == 0 and "complete" in res.output, res.output
    gt = GroundTruth.from_dataset(ds, "test")
    preds = tmp_path / "p.json"
    write_predictions(Predictions.from_arrays(gt.frames[["video", "frame"]], gt.frame_index,
                                              gt.xy + 1.0, np.full(len(gt), 0.9)), preds)
    boxed = ["--metric", "box"] if name in BOXED else []  # radii to match within
    res = run(app, ["eval", str(preds), "--data", str(root), "--split", "test", *boxed,
                    "--json", "-"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["counting"]["MAE"] == 0 and doc["localization"][0]["AR.50"] > 0.99
    if boxed:
        assert doc["box_threshold"][0]["R"] > 0.5
    else:  # points only: a clear refusal, not a score of zero-size boxes
        res = run(app, ["eval", str(preds), "--data", str(root), "--split", "test",
                        "--metric", "box"])
        assert res.exit_code == 2 and "points only" in res.output, res.output
    if name == "dronecrowd":  # DroneCrowd's own protocol: AP at 1..25 px, L-mAP
        res = run(app, ["eval", str(preds), "--data", str(root), "--split", "test",
                        "--metric", "distance", "--json", "-"])
        assert res.exit_code == 0, res.output
        ap = json.loads(res.output)["distance_ap"]["AP"]  # 1.41 px off: none at 1 px
        assert ap[0] < 0.01 and min(ap[1:]) > 0.98


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:VGG16 backbone is randomly")
@pytest.mark.parametrize("name, test_video", [("fdst", "3"), ("venice", "4895"),
                                              ("dronecrowd", "00004"), ("mall", "mall_test"),
                                              ("ucsd", "vidf1_33_007")])
def test_gnanet_train_predict_eval(tmp_path, name, test_video):
    pytest.importorskip("torch")
    from tests.datasets.cli_runs import eval_frames, train_and_predict

    root, preds = dataset_info(name).synth(tmp_path / "d", seed=2), tmp_path / "p.json"
    doc = train_and_predict(root, tmp_path / "r", preds, "gnanet", "test")
    assert {p["video"] for p in doc["predictions"]} == {test_video}  # by its own name
    assert eval_frames(root, preds, "test") == 4
