from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from vscrowd.cli.main import app

from vscrowd import __version__
from vscrowd.eval import write_predictions
from vscrowd.methods.baselines import background_blobs


@pytest.fixture
def runner():
    return CliRunner()


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli") / "data"
    res = CliRunner().invoke(app, ["synth", str(root), "--videos", "3", "--frames", "4",
                                   "--size", "160x96"])
    assert res.exit_code == 0, res.output
    return root


@pytest.fixture(scope="module")
def preds(data, tmp_path_factory):
    from vscrowd import VSCrowd

    p = tmp_path_factory.mktemp("preds") / "p.json"
    write_predictions(background_blobs(VSCrowd(data).select(split="test")), p)
    return p


def test_version_and_help(runner):
    res = runner.invoke(app, ["--version"])
    assert res.exit_code == 0 and __version__ in res.output
    res = runner.invoke(app, ["--help"])
    assert res.exit_code == 0
    for cmd in ("eval", "synth", "stats", "plot", "show", "convert", "demo"):
        assert cmd in res.output


def test_eval_table_and_json(runner, data, preds, tmp_path):
    res = runner.invoke(app, ["eval", str(preds), "--data", str(data)])
    assert res.exit_code == 0, res.output
    assert "AP.50" in res.output and "MAE" in res.output
    out = tmp_path / "r.json"
    res = runner.invoke(app, ["eval", str(preds), "--data", str(data), "--json", str(out),
                              "--sigma", "10", "--metric", "sigma", "--metric", "box",
                              "--plot-dir", str(tmp_path / "pr")])
    assert res.exit_code == 0, res.output
    d = json.loads(out.read_text())
    assert [e["sigma"] for e in d["localization"]] == [10]
    assert (tmp_path / "pr" / "pr_sigma10.png").exists()


def test_eval_json_stdout_is_pure_json(data, preds):
    res = CliRunner().invoke(app, ["eval", str(preds), "--data", str(data), "--json", "-"])
    assert res.exit_code == 0
    d = json.loads(res.stdout)
    assert len(d["localization"]) == 3


def test_bad_input_exits_2_without_traceback(runner, data, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"predictions": [')
    res = runner.invoke(app, ["eval", str(bad), "--data", str(data)])
    assert res.exit_code == 2
    assert "error:" in res.output and "Traceback" not in res.output
    assert "bad.json" in res.output
    res = runner.invoke(app, ["--debug", "eval", str(bad), "--data", str(data)])
    assert res.exit_code != 0 and res.exception is not None  # --debug re-raises


def test_unknown_split_and_missing_data(runner, data, preds, tmp_path):
    res = runner.invoke(app, ["eval", str(preds), "--data", str(data), "--split", "val"])
    assert res.exit_code == 2 and "expected a split" in res.output
    res = runner.invoke(app, ["eval", str(preds), "--data", str(tmp_path / "nope")])
    assert res.exit_code == 2 and "no annotations folder" in res.output
    # A scene-label file that does not exist was ignored without a word.
    res = runner.invoke(app, ["eval", str(preds), "--data", str(data), "--labels",
                              str(tmp_path / "scene_label.txt")])
    assert res.exit_code == 2 and "scene_label.txt" in res.output and "exist" in res.output


def test_stats_plot_show_convert(runner, data, preds, tmp_path):
    res = runner.invoke(app, ["stats", str(data), "--per-video"])
    assert res.exit_code == 0 and "train_001" in res.output and "trajectories" in res.output
    res = runner.invoke(app, ["stats", str(data), "--json", "-"])
    assert res.exit_code == 0 and json.loads(res.output)["summary"][-1]["split"] == "all"
    res = runner.invoke(app, ["plot", str(data), "--out", str(tmp_path / "f")])
    assert res.exit_code == 0 and (tmp_path / "f" / "head_size.png").exists()
    res = runner.invoke(app, ["show", str(data), "--video", "test_001", "--frame", "0002",
                              "--preds", str(preds), "--out", str(tmp_path / "s" / "o.png")])
    assert res.exit_code == 0, res.output
    assert "TP" in res.output and (tmp_path / "s" / "o.png").exists()
    res = runner.invoke(app, ["show", str(data), "--video", "test_01", "--frame", "1",
                              "--out", str(tmp_path / "o.png")])
    assert res.exit_code == 2 and "did you mean test_001" in res.output
    res = runner.invoke(app, ["convert", str(data), "--to", "coco", str(tmp_path / "c.json")])
    assert res.exit_code == 0 and (tmp_path / "c.json").exists()


def test_synth_refuses_non_empty(runner, data):
    res = runner.invoke(app, ["synth", str(data)])
    assert res.exit_code == 2 and "--overwrite" in res.output
    res = runner.invoke(app, ["synth", str(data) + "_x", "--size", "12"])
    assert res.exit_code == 2 and "WxH" in res.output


def test_metric_adds_to_the_defaults(runner, data, preds):
    res = runner.invoke(app, ["eval", str(preds), "--data", str(data), "--metric", "box",
                              "--json", "-"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert {"localization", "counting", "box_threshold"} <= set(doc)
    assert len(doc["localization"]) == 3 and doc["counting"]["MAE"] is not None


def test_families_not_computed_are_absent_not_empty(data, preds):
    from vscrowd.eval import evaluate

    doc = evaluate(data_ds(data), preds, split="test", metrics=["box"]).to_dict()
    assert "localization" not in doc and "counting" not in doc and "box_threshold" in doc
    text = str(evaluate(data_ds(data), preds, split="test", metrics=["box"]))
    assert "AP.50" not in text and "MAE" not in text


def data_ds(root):
    from vscrowd import VSCrowd

    return VSCrowd(root)


def test_metric_video_prints_its_table(runner, data, preds):
    res = runner.invoke(app, ["eval", str(preds), "--data", str(data), "--metric", "video"])
    assert res.exit_code == 0 and "per video" in res.stdout and "test_001" in res.stdout


def test_debug_keeps_the_exit_code_and_adds_the_traceback(runner, data, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    plain = runner.invoke(app, ["eval", str(bad), "--data", str(data)])
    debug = runner.invoke(app, ["--debug", "eval", str(bad), "--data", str(data)])
    assert plain.exit_code == debug.exit_code == 2
    assert "Traceback" not in plain.stderr and "Traceback" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1].startswith("error:")


def test_baseline_command_writes_a_first_prediction_file(runner, data, tmp_path):
    out = tmp_path / "p.json"
    res = runner.invoke(app, ["baseline", "--data", str(data), "--out", str(out)])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["eval", str(out), "--data", str(data)])
    assert res.exit_code == 0 and "mAP" in res.stdout


@pytest.mark.filterwarnings("ignore:VGG16 backbone is randomly")
def test_only_rank_zero_reports(runner, data, tmp_path, monkeypatch):
    import vscrowd.train as train_pkg
    from vscrowd.train.trainer import TrainResult

    monkeypatch.setattr(train_pkg, "train", lambda cfg, out, **k: TrainResult(
        out, 1, 0, None, False, 0.1))
    argv = ["train", "--data", str(data), "--out", str(tmp_path / "r"), "--width", "0.0625"]
    monkeypatch.setenv("RANK", "1")
    assert runner.invoke(app, argv).stdout == ""
    monkeypatch.setenv("RANK", "0")
    assert "done:" in runner.invoke(app, argv).stdout


@pytest.mark.parametrize(("raised", "code", "says"), [
    ("wrapped", 130, "interrupted"),  # as Python wraps a Ctrl-C inside a class body
    ("context", 130, "interrupted"),  # raised while handling one
    ("bug", 1, "internal error: RuntimeError"),
])
def test_an_error_caused_by_an_interrupt_is_an_interruption(runner, monkeypatch, raised,
                                                            code, says):
    from vscrowd.datasets import registry

    def fail():
        if raised == "bug":
            raise RuntimeError("a bug")
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt as exc:
            if raised == "wrapped":
                raise RuntimeError("Error calling __set_name__ on ...") from exc
            raise RuntimeError("while unwinding")  # noqa: B904 -- the implicit context

    monkeypatch.setattr(registry, "registered", fail)
    res = runner.invoke(app, ["datasets"])
    assert res.exit_code == code, res.output
    assert says in res.output and "Traceback" not in res.output
