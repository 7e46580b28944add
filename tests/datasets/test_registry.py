"""The dataset registry: each image dataset's synthetic copy in its own format opens
through ``vscrowd.open`` with exactly the points in its files (read back here by an
independent reader: json / scipy.io / numpy), and runs stats, eval, show and verify."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from scipy.io import loadmat, savemat
from vscrowd.cli.data_commands import REGISTRY_FLAVOURS
from vscrowd.cli.main import app

import vscrowd
from vscrowd.acquire.dataset_checks import verify_dataset
from vscrowd.datasets import dataset_info, dataset_names, detect, registered
from vscrowd.errors import AnnotationFormatError, ConfigError, DatasetError
from vscrowd.eval import GroundTruth, Predictions, evaluate

IMAGE = ["nwpu", "shanghaitech_a", "shanghaitech_b", "qnrf", "jhu"]


@pytest.fixture(scope="module")
def roots(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("native")
    return {n: dataset_info(n).synth(base / n, seed=3) for n in IMAGE}


def _raw_points(name: str, root: Path) -> dict[tuple[str, str], np.ndarray]:
    """Each annotated image's points straight from the files (not vscrowd's reader)."""
    out = {}
    if name == "nwpu":
        for split in ("train", "val"):
            for line in (root / f"{split}.txt").read_text().splitlines():
                img = line.split()[0]
                doc = json.loads((root / "jsons" / f"{img}.json").read_text())
                out[split, img] = np.array(doc["points"], float).reshape(-1, 2)
    elif name.startswith("shanghaitech"):
        for split, folder in (("train", "train_data"), ("test", "test_data")):
            for f in (root / folder / "ground-truth").glob("*.mat"):
                loc = loadmat(f)["image_info"][0][0][0][0][0]
                out[split, f.stem[3:]] = np.asarray(loc, float).reshape(-1, 2)
    elif name == "qnrf":
        for split, folder in (("train", "Train"), ("test", "Test")):
            for f in (root / folder).glob("*_ann.mat"):
                out[split, f.stem[:-4]] = loadmat(f)["annPoints"].reshape(-1, 2)
    else:
        for split in ("train", "val", "test"):
            for f in (root / split / "gt").glob("*.txt"):
                rows = [list(map(float, ln.split())) for ln in f.read_text().splitlines()]
                out[split, f.stem] = np.array(rows).reshape(-1, 6)[:, :2]
    return out


@pytest.mark.parametrize("name", IMAGE)
def test_reads_back_exactly_the_points_written(roots, name):
    ds = vscrowd.open(roots[name], dataset=name)
    raw = _raw_points(name, roots[name])
    assert len(ds.frames) == len(raw) and len(ds.heads) == sum(map(len, raw.values()))
    h = ds.heads
    for (split, img), pts in raw.items():
        sel = ((h["video"].astype(str) == split) & (h["frame"].astype(str) == img)).to_numpy()
        assert np.array_equal(h.loc[sel, ["x", "y"]].to_numpy(), pts), (split, img)
    assert ds.image_path(*next(iter(raw))).is_file()


@pytest.mark.parametrize("name", ["nwpu", "qnrf", "jhu"])
def test_dense_image(roots, name):
    ds = vscrowd.open(roots[name], dataset=name)
    assert int(ds.frames["n_heads"].max()) >= 10_000


@pytest.mark.parametrize("name", ["nwpu", "qnrf", "jhu", "shanghaitech_a"])
def test_detected_from_layout(roots, name):
    assert detect(roots[name]).name == name


def test_shanghaitech_part_from_name_count_or_manifest_never_a_guess(roots, tmp_path):
    import shutil

    # The small copies have neither 300/400 train images nor a part_A/part_B folder
    # name: their synth.json says which part they are.
    assert detect(roots["shanghaitech_b"]).name == "shanghaitech_b"
    assert detect(roots["shanghaitech_a"]).name == "shanghaitech_a"
    bare = shutil.copytree(roots["shanghaitech_b"], tmp_path / "copy")
    (bare / "synth.json").unlink()
    with pytest.raises(DatasetError, match=r"\['shanghaitech_a', 'shanghaitech_b'\]; "
                                           "pass --dataset NAME"):
        detect(bare)
    assert vscrowd.open(bare, "shanghaitech_b", cache=False).name == "shanghaitech_b"
    named = shutil.copytree(bare, tmp_path / "ShanghaiTech" / "part_B")
    assert detect(named).name == "shanghaitech_b"


def test_labels_and_boxes(roots):
    jhu = vscrowd.open(roots["jhu"])
    assert {"count", "scene", "weather", "distractor"} <= set(jhu.frames.columns)
    assert (jhu.frames["count"] == jhu.frames["n_heads"]).all()
    assert jhu.frames["distractor"].sum() == 1
    h = jhu.heads
    assert np.allclose((h["x1"] + h["x2"]) / 2, h["x"])  # the stored point is the centre
    nwpu = vscrowd.open(roots["nwpu"])
    assert set(nwpu.splits) == {"train", "val"}  # test annotations are not published
    assert (nwpu.heads["x2"] > nwpu.heads["x1"]).all()


def test_no_layout_names_every_dataset(tmp_path):
    with pytest.raises(DatasetError) as err:
        vscrowd.open(tmp_path)
    for info in registered():
        assert info.name in str(err.value) and info.expects in str(err.value)


def test_unknown_name():
    with pytest.raises(DatasetError, match="shanghaitech_a"):
        vscrowd.open(".", dataset="shanghai")


def test_mat_without_the_variable(roots, tmp_path):
    import shutil

    root = shutil.copytree(roots["qnrf"], tmp_path / "q")
    bad = next((root / "Test").glob("*_ann.mat"))
    savemat(bad, {"points": np.zeros((2, 2))})
    with pytest.raises(AnnotationFormatError) as err:
        vscrowd.open(root)
    assert bad.name in str(err.value) and "annPoints" in str(err.value)


def test_foreign_file_in_nwpu_jsons(roots, tmp_path):
    import shutil

    root = shutil.copytree(roots["nwpu"], tmp_path / "n")
    bad = root / "jsons" / "0002.json"
    bad.write_text("12 30 8 8 1 0\n13 31 8 8 1 0\n")  # a JHU gt file
    with pytest.raises(AnnotationFormatError) as err:
        vscrowd.open(root)
    assert "0002.json" in str(err.value) and "line 1" in str(err.value)


def test_jhu_bad_line(roots, tmp_path):
    import shutil

    root = shutil.copytree(roots["jhu"], tmp_path / "j")
    gt = next((root / "val" / "gt").glob("*.txt"))
    gt.write_text(gt.read_text() + "1 2 3\n")
    with pytest.raises(AnnotationFormatError) as err:
        vscrowd.open(root)
    assert gt.name in str(err.value) and "line" in str(err.value)


@pytest.mark.parametrize("name", IMAGE)
def test_eval_of_the_ground_truth_is_perfect(roots, name):
    ds = vscrowd.open(roots[name], dataset=name)
    split = ds.splits[-1]
    gt = GroundTruth.from_dataset(ds, split)
    pr = Predictions.from_arrays(gt.frames[["video", "frame"]], gt.frame_index, gt.xy,
                                 np.ones(len(gt)))
    boxed = name in ("nwpu", "jhu")
    r = evaluate(gt, pr, metrics=("sigma", "count", "box") if boxed else ("sigma", "count"))
    assert r.sigma(5).mar == pytest.approx(1.0) and r.counting.mae == 0
    if not boxed:  # points only: the box and size families refuse rather than score
        # zero-size boxes (size put every head in its smallest bucket)
        for family in ("box", "size"):
            with pytest.raises(ConfigError, match=f"--metric {family} needs .*points only"):
                evaluate(gt, pr, metrics=(family,))
    else:
        sizes = evaluate(gt, pr, sigmas=(5,), metrics=("size",)).size_recall[0].table
        assert sizes["gt_points"].sum() == len(gt)
    assert ds.select(split=split).image_path(gt.frames["video"][0],
                                             gt.frames["frame"][0]).is_file()


@pytest.mark.parametrize("name", IMAGE)
def test_verify_complete_then_broken(roots, name, tmp_path):
    import shutil

    assert verify_dataset(roots[name], name).complete
    root = shutil.copytree(roots[name], tmp_path / "c")
    (root / vscrowd.open(root, dataset=name).frames["path"].iloc[-1]).unlink()
    report = verify_dataset(root, name)
    assert not report.complete
    assert not next(c for c in report.checks if c.name == "images present").passed


@pytest.mark.parametrize("name", IMAGE)
def test_cli_stats_show_verify_eval(roots, name, tmp_path):
    from vscrowd.eval import write_predictions

    root, run = roots[name], CliRunner().invoke
    res = run(app, ["stats", str(root), "--dataset", name, "--json", "-"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc  # per-split rows
    ds = vscrowd.open(root, dataset=name)
    split = ds.splits[0]
    fr = ds.frames[ds.frames["video"] == split].iloc[0]
    out = tmp_path / "s.png"
    res = run(app, ["show", str(root), "--dataset", name, "--video", split,
                    "--frame", str(fr["frame"]), "--out", str(out)])
    assert res.exit_code == 0 and out.is_file(), res.output
    res = run(app, ["verify", str(root), "--dataset", name])
    assert res.exit_code == 0 and "complete" in res.output, res.output
    gt = GroundTruth.from_dataset(ds, split)
    preds = tmp_path / "p.json"
    write_predictions(Predictions.from_arrays(gt.frames[["video", "frame"]], gt.frame_index,
                                              gt.xy + 1.0, np.full(len(gt), 0.9)), preds)
    boxed = name in ("nwpu", "jhu")  # head boxes: the box family has radii to match within
    res = run(app, ["eval", str(preds), "--data", str(root), "--dataset", name, "--split",
                    split, *(["--metric", "box"] if boxed else []), "--json", "-"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["counting"]["MAE"] == 0 and doc["localization"][0]["AR.50"] > 0.99
    if boxed:
        assert doc["box_threshold"][0]["R"] > 0.5
    else:
        res = run(app, ["eval", str(preds), "--data", str(root), "--dataset", name,
                        "--split", split, "--metric", "box"])
        assert res.exit_code == 2 and "points only" in res.output, res.output
    if name == "qnrf":  # the paper's Table IX scores UCF-QNRF with Idrees et al.'s metric
        res = run(app, ["eval", str(preds), "--data", str(root), "--split", split,
                        "--metric", "idrees", "--json", "-"])
        assert res.exit_code == 0, res.output
        idrees = json.loads(res.output)["idrees"]  # 1.41 px off: matched from r = 2 px
        assert idrees["recall"] == pytest.approx(0.99, abs=0.005)
        assert idrees["precision"] > 0.98


def test_the_parametrized_lists_cover_every_registered_dataset():
    """A newly registered dataset joins these tests (IMAGE here, VIDEO in
    test_video_datasets.py; the 2-step train/predict lists there and in
    test_image_training.py) or this fails."""
    from tests.datasets.test_image_training import test_train_predict_eval
    from tests.datasets.test_video_datasets import VIDEO, test_gnanet_train_predict_eval

    def values(test):
        return next(m.args[1] for m in test.pytestmark if m.name == "parametrize")

    trained = {*values(test_train_predict_eval),
               *(n for n, _video in values(test_gnanet_train_predict_eval))}
    # VSCrowd: the rest of the suite; SenseCrowd (its synthetic copy comes from
    # vscrowd.synth, not the registry): its own file.
    from tests.datasets import test_sensecrowd_dataset as sense

    assert sense.test_cli_stats_show_verify_eval and sense.test_gnanet_train_predict_eval
    others = {"vscrowd", "sensecrowd"}
    assert sorted(IMAGE + VIDEO) == sorted(set(dataset_names()) - others)
    assert trained == set(dataset_names()) - others


def test_cli_datasets_and_flavours():
    res = CliRunner().invoke(app, ["datasets", "--json", "-"])
    assert res.exit_code == 0
    names = [d["name"] for d in json.loads(res.output)]
    assert sorted(names) == dataset_names()
    # The CLI's light list of flavours (its name predates the video datasets) is the
    # registry's synthesizable datasets in their own formats.
    assert sorted(REGISTRY_FLAVOURS) == sorted(i.name for i in registered() if i.synth)


def test_cli_no_layout_is_one_line(tmp_path):
    (tmp_path / "x").mkdir()
    res = CliRunner().invoke(app, ["stats", str(tmp_path / "x")])
    assert res.exit_code == 2 and "matches no known dataset layout" in res.output


def test_points_outside_the_image_warn_and_are_kept(roots, tmp_path):
    import shutil

    from vscrowd.errors import VSCrowdWarning

    root = shutil.copytree(roots["jhu"], tmp_path / "j")
    gt = root / "val" / "gt" / sorted(p.name for p in (root / "val" / "gt").iterdir())[0]
    gt.write_text(gt.read_text() + "5000 10 8 8 1 0\n-3 10 8 8 1 0\n")
    with pytest.warns(VSCrowdWarning, match="2 head point"):
        ds = vscrowd.open(root)
    assert (ds.heads["x"] == 5000).sum() == 1
    check = next(c for c in verify_dataset(root).checks if c.name.startswith("heads inside"))
    assert not check.passed and check.found == "2 outside"


def test_coco_names_the_images_own_paths(roots, tmp_path):
    res = CliRunner().invoke(app, ["convert", str(roots["qnrf"]), str(tmp_path / "c.json"),
                                   "--to", "coco"])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "c.json").read_text())
    assert all((roots["qnrf"] / im["file_name"]).is_file() for im in doc["images"])


def test_leaderboard_txt_predictions_on_an_image_root(roots, tmp_path):
    ds = vscrowd.open(roots["nwpu"]).select(split="val")
    assert type(ds).__name__ == "ImageDataset" and ds.name == "nwpu" and not ds.is_video
    lines = []
    for (_v, f), g in ds.heads.groupby([ds.heads["video"].astype(str),
                                       ds.heads["frame"].astype(str)], observed=True):
        xy = np.round(g[["x", "y"]].to_numpy()).astype(int)
        lines.append(f"{f} {len(xy)} " + " ".join(map(str, xy.ravel())))
    (tmp_path / "p.txt").write_text("\n".join(lines) + "\n")
    res = CliRunner().invoke(app, ["eval", str(tmp_path / "p.txt"), "--data",
                                   str(roots["nwpu"]), "--split", "val", "--json", "-"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["counting"]["MAE"] == 0 and doc["localization"][0]["AR.50"] == 1.0


def test_jhu_per_head_occlusion_and_blur(roots):
    # Each head's 'o' and 'b' (the 5th and 6th numbers of its gt line) as head columns,
    # also through the cache; other datasets have no such columns.
    ds = vscrowd.open(roots["jhu"], dataset="jhu")
    for split in ds.splits:
        for gt in sorted((roots["jhu"] / split / "gt").glob("*.txt")):
            rows = np.loadtxt(gt, ndmin=2).reshape(-1, 6)
            h = ds.heads[(ds.heads["video"] == split).to_numpy()
                         & (ds.heads["frame"] == gt.stem).to_numpy()]
            assert h["occlusion"].tolist() == rows[:, 4].astype(int).tolist()
            assert h["blur"].tolist() == rows[:, 5].astype(int).tolist()
    assert set(ds.heads["occlusion"]) <= {1, 2, 3} and set(ds.heads["blur"]) <= {0, 1}
    cached = vscrowd.open(roots["jhu"], dataset="jhu")  # from the cache the second time
    assert cached.heads[["occlusion", "blur"]].equals(ds.heads[["occlusion", "blur"]])
    assert "occlusion" not in vscrowd.open(roots["qnrf"], dataset="qnrf").heads


@pytest.mark.parametrize("name", ["nwpu", "jhu"])
def test_verify_annotations_only_copy_does_not_warn(roots, name, tmp_path):
    # An annotations-only copy (download --parts annotations): its images are missing on
    # purpose, so verify does not warn of them (MissingImagesWarning filtered by class)
    # and still checks every count.
    import shutil
    import warnings

    root = shutil.copytree(roots[name], tmp_path / "c")
    for path in vscrowd.open(root, dataset=name).frames["path"]:
        (root / path).unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error", vscrowd.MissingImagesWarning)
        report = verify_dataset(root, name, images=False)
    assert report.complete
    with pytest.warns(vscrowd.MissingImagesWarning):
        assert not verify_dataset(root, name).complete


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:VGG16 backbone is randomly")
def test_every_command_that_opens_a_root_takes_dataset(roots, tmp_path):
    """A copy that matches two layouts (UCF-QNRF's Train/Test and JHU-Crowd++'s
    train/val/test side by side) is an error naming both until --dataset picks one."""
    import shutil

    pytest.importorskip("torch")
    both = tmp_path / "both"
    shutil.copytree(roots["qnrf"], both)
    for split in ("train", "val", "test"):
        shutil.copytree(roots["jhu"] / split, both / split)
    run, out = CliRunner().invoke, tmp_path / "out"
    res = run(app, ["stats", str(both)])
    assert res.exit_code == 2 and "['qnrf', 'jhu']; pass --dataset NAME" in res.output
    heads = len(vscrowd.open(roots["qnrf"], cache=False).heads)
    res = run(app, ["stats", str(both), "--dataset", "qnrf", "--json", "-"])
    assert res.exit_code == 0, res.output
    assert sum(r["annotations"] for r in json.loads(res.output)["summary"]
               if r["split"] != "all") == heads
    for args in (["plot", str(both), "--out", str(out / "plots")],
                 ["convert", str(both), "--to", "parquet", str(out / "parquet")],
                 ["show", str(both), "--video", "train", "--frame", "img_0001", "--out",
                  str(out / "o.png")],
                 ["train", "--data", str(both), "--model", "s-gnanet", "--out",
                  str(out / "run"), "--max-steps", "1", "--batch-size", "1", "--crop",
                  "64x64", "--width", "0.0625", "--workers", "0", "--val-every", "0",
                  "--device", "cpu", "--backend", "torch"],
                 ["predict", str(out / "run" / "last.pt"), "--data", str(both), "--out",
                  str(out / "p.json"), "--device", "cpu"],
                 ["eval", str(out / "p.json"), "--data", str(both)]):
        assert run(app, args).exit_code == 2, args  # ambiguous without the name
        res = run(app, [*args, "--dataset", "qnrf"])
        assert res.exit_code == 0, (args, res.output)
    assert json.loads((out / "run" / "config.json").read_text())["data"]["dataset"] == "qnrf"


@pytest.mark.parametrize("name", dataset_names())
def test_frames_carry_their_split(tmp_path, name):
    """Each frame's split is its video's (an image dataset's "video" is its split), as
    a category in split order, in the same place for every dataset."""
    import warnings

    if dataset_info(name).synth is None:  # VSCrowd / SenseCrowd: vscrowd.synth writes them
        from vscrowd.synth import synthesize, synthesize_sensecrowd

        write = synthesize_sensecrowd if name == "sensecrowd" else synthesize
        root = write(tmp_path / name, videos=3, frames=2, seed=1)
    else:
        root = dataset_info(name).synth(tmp_path / name, seed=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ds = vscrowd.open(root, dataset=name)
    fr = ds.frames
    split_of = dict(zip(ds.videos["video"], ds.videos["split"]))
    assert fr["split"].astype(str).tolist() == [split_of[v] for v in fr["video"].astype(str)]
    assert list(fr["split"].cat.categories) == [s for s in ds.splits
                                                 if s in set(fr["split"].astype(str))]
    assert list(fr.columns[:5]) == ["video", "frame", "frame_index", "n_heads", "split"]
    if not ds.is_video:
        assert (fr["split"].astype(str) == fr["video"].astype(str)).all()


@pytest.mark.parametrize("name", ["nwpu", "fdst"])
def test_image_path_of_a_view_and_of_an_unknown_frame(tmp_path, name):
    """A view finds its own frames' images (the path index is built on first use, from
    the view's table); an unknown frame is an error naming the video (or split)."""
    root = dataset_info(name).synth(tmp_path / name, seed=1)
    ds = vscrowd.open(root, dataset=name, cache=False)
    view = ds.select(split=ds.splits[-1])
    for video, frame, path in view.frames[["video", "frame", "path"]].itertuples(index=False):
        assert view.image_path(video, frame) == root / path == ds.image_path(video, frame)
    other = ds.frames.iloc[0]  # in the first split, not in the view
    where = "video" if ds.is_video else "split"
    with pytest.raises(DatasetError, match=f"no image '{other['frame']}' in {where} "
                                           f"'{other['video']}'"):
        view.image_path(other["video"], other["frame"])
