"""Split lists, scene labels and results in SenseCrowd names, on the synthetic pair
(``vscrowd synth`` + ``--flavour sensecrowd``: the same videos, a known name map)."""

from __future__ import annotations

import json
import shutil
import warnings

import numpy as np
import pytest
from click.testing import CliRunner
from vscrowd.cli.main import app

from vscrowd import VSCrowd
from vscrowd.acquire.verify import verify
from vscrowd.datasets.naming import looks_vscrowd, naming_of
from vscrowd.errors import DatasetError, VSCrowdWarning
from vscrowd.eval import GroundTruth
from vscrowd.eval.vic_files import score_results_file, sniff_results_file
from vscrowd.eval.video_scores import truth_counts
from vscrowd.synth.generator import synthesize
from vscrowd.synth.sensecrowd import synthesize_sensecrowd

pytestmark = pytest.mark.filterwarnings("ignore:.*no frames folder")
ARGS = {"videos": 6, "frames": 20, "size": (192, 108), "seed": 2}


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    """(VSCrowd root holding SenseCrowd-named lists, SenseCrowd root, map CSV outside)."""
    base = tmp_path_factory.mktemp("naming")
    root = synthesize(base / "root", images=False, **ARGS)
    sense = synthesize_sensecrowd(base / "sense", **ARGS)
    for f in ("train.txt", "val.txt", "test.txt"):
        shutil.copy(sense / f, root / f)
    truth = json.loads((sense / "synth.json").read_text())["sensecrowd_names"]
    rows = "".join(f"{v},{s},0,0,1.0\n" for v, s in truth.items())
    (base / "map.csv").write_text("vscrowd_video,sensecrowd_video,frames,heads,"
                                  "match_quality\n" + rows)
    return root, sense, base / "map.csv", {s: v for v, s in truth.items()}


def _names(pair):
    return pair[3]


def test_naming_of():
    assert looks_vscrowd("train_012") and not looks_vscrowd("train_012_x")
    assert naming_of(["0817_1_cut_01", "IMG_1_cut_02"]) == "SenseCrowd"
    assert naming_of(["test_001", "IMG_1_cut_02"]) == "mixed"


def test_lists_in_the_other_naming_in_root_warn_and_fall_back(pair):
    root = pair[0]
    with pytest.warns(VSCrowdWarning, match="SenseCrowd names .*no name map"):
        ds = VSCrowd(root, cache=False)
    assert set(ds.splits) == {"train", "test"}  # by name prefix


def test_lists_translated_with_the_map_given_or_in_root(pair, tmp_path):
    root, sense, map_csv, names = pair
    ds = VSCrowd(root, cache=False, names=names)
    assert ds.splits == ["train", "val", "test"] and ds.name_map == names
    val = [names[v] for v in (sense / "val.txt").read_text().split()]
    assert ds.select(split="val").videos["video"].tolist() == val
    copy = tmp_path / "root"
    shutil.copytree(root, copy)
    shutil.copy(map_csv, copy / "names.csv")
    assert VSCrowd(copy, cache=False).splits == ["train", "val", "test"]


def test_explicit_list_of_unknown_names_names_them_and_the_cause(pair):
    root, sense, _map, _names = pair
    first = (sense / "test.txt").read_text().split()[0]
    with pytest.raises(DatasetError, match=rf"e\.g\. {first}.*SenseCrowd names.*--names"):
        VSCrowd(root, cache=False, split_files=[sense / "test.txt"])
    bad = root.parent / "bad" / "test.txt"
    bad.parent.mkdir()
    bad.write_text("test_001\ntest_999\n")
    with pytest.raises(DatasetError, match="1 video.*test_999"):
        VSCrowd(root, cache=False, split_files=[bad])


def test_scene_labels_in_either_naming(pair, tmp_path):
    root, _sense, _map, names = pair
    labels = tmp_path / "scene_label.txt"
    labels.write_text("".join(f"{s} 1 0 2 {i % 5}\n" for i, s in enumerate(names)))
    ds = VSCrowd(root, cache=False, names=names, scene_labels=labels)
    got = dict(zip(ds.videos["video"], ds.videos["scene_labels"]))
    assert got == {v: (1, 0, 2, i % 5) for i, v in enumerate(names.values())}
    with pytest.warns(VSCrowdWarning, match="none of its 6 video names.*SenseCrowd names"):
        ds = VSCrowd(root, cache=False, split_files=None, scene_labels=labels)
    assert ds.videos["scene_labels"].isna().all()


def test_verify_and_stats_do_not_break_on_drnet_style_lists(pair):
    root, _sense, map_csv, names = pair
    report = verify(root, images=False)
    assert report.complete and any("not checked" in n for n in report.notes)
    report = verify(root, images=False, names_map=names)
    check = next(c for c in report.checks if c.name == "split lists consistent")
    assert check.passed and check.found == "0 problem(s)"
    res = CliRunner().invoke(app, ["stats", str(root), "--names", str(map_csv)])
    assert res.exit_code == 0 and "val" in res.output, res.output
    res = CliRunner().invoke(app, ["verify", str(root)])
    assert res.exit_code == 0, res.output


def _truth(root, names, sense_list, protocol, k=15):
    ds = VSCrowd(root, cache=False, split_files=None)
    videos = [names[v] for v in sense_list]
    counts = truth_counts(GroundTruth.from_dataset(ds.select(videos=videos)), k)[protocol]
    return videos, counts


def test_drnet_array_with_a_root_recomputes_truth_and_has_wrae(pair, tmp_path):
    root, sense, map_csv, names = pair
    order = (sense / "train.txt").read_text().split()
    videos, truth = _truth(root, names, order, "drnet", k=5)
    g = np.array([truth[v].count for v in videos])
    arr = np.c_[g + 1, g].astype(np.float32)
    arr[0, 1] += 3  # a saved truth that disagrees with the annotations: reported
    np.save(tmp_path / "5_SENSE_cnt.py.npy", arr)
    assert sniff_results_file(tmp_path / "5_SENSE_cnt.py.npy") == "drnet"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VSCrowdWarning)
        ds = VSCrowd(root, cache=False, names=names)
    rep = score_results_file(tmp_path / "5_SENSE_cnt.py.npy", data=ds, split="train",
                             split_files=[sense / "train.txt"])
    r = rep.results["drnet"]
    assert r.interval == 5 and pytest.approx(1.0) == r.MAE
    t = np.array([truth[v].frames for v in videos], float)
    assert pytest.approx(float(np.sum(1 / g * t / t.sum()))) == r.WRAE
    assert any("1 row(s)" in n for n in rep.notes)
    no_root = score_results_file(tmp_path / "5_SENSE_cnt.py.npy", split="train",
                                 split_files=[sense / "train.txt"])
    assert no_root.results["drnet"].WRAE is None
    assert pytest.approx((3 * 1 + 2) / 4) == no_root.results["drnet"].MAE  # row 0: |1 - 3|


def test_cgnet_json_and_counts_file_by_content_through_the_cli(pair, tmp_path):
    root, sense, map_csv, names = pair
    order = (sense / "test.txt").read_text().split()
    videos, truth = _truth(root, names, order, "unique")
    doc = {s: {"video_num": truth[v].count + 2, "frame_num": 10} for s, v in
           zip(order, videos)}
    (tmp_path / "video_results_test.json").write_text(json.dumps(doc))
    res = CliRunner().invoke(app, ["eval", str(tmp_path / "video_results_test.json"),
                                   "--data", str(root), "--names", str(map_csv),
                                   "--json", "-"])
    assert res.exit_code == 0, res.output
    out = json.loads(res.stdout)
    assert out["results_file"]["kind"] == "cgnet"
    assert out["video_counting"]["unique"]["MAE"] == pytest.approx(2.0)
    res = CliRunner().invoke(app, ["eval", str(tmp_path / "video_results_test.json"),
                                   "--data", str(root)])
    assert res.exit_code == 2 and "SenseCrowd names" in res.output
    res = CliRunner().invoke(app, ["eval", str(tmp_path / "video_results_test.json")])
    assert res.exit_code == 2 and "--data ROOT" in res.output


def test_train_val_split_from_sensecrowd_lists_with_the_map_in_root(pair, tmp_path):
    pytest.importorskip("torch")
    from vscrowd.train.config import DataConfig, TrainConfig
    from vscrowd.train.trainer import training_views

    root, sense, map_csv, names = pair
    copy = tmp_path / "root"
    shutil.copytree(root, copy)
    shutil.copy(map_csv, copy / "names.csv")
    cfg = TrainConfig(data=DataConfig(root=str(copy), val_split="val"))
    train, val = training_views(cfg, VSCrowd(copy, cache=False))
    assert val.videos["video"].tolist() == [names[v] for v in
                                           (sense / "val.txt").read_text().split()]
    assert len(train.videos) == len((sense / "train.txt").read_text().split())
