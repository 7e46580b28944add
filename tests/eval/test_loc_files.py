"""NWPU-Crowd localization files (val_gt_loc.txt, ``id num (x y)*`` predictions) and
the box family on their per-head radii, against the official evaluation."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from vscrowd.errors import AnnotationFormatError, PredictionFormatError
from vscrowd.eval import evaluate, read_predictions
from vscrowd.eval.families.box import radius_pairs
from vscrowd.eval.loc_files import read_loc_groundtruth, read_loc_predictions

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "real" / "nwpu-loc"


def _write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_groundtruth_fields(tmp_path):
    gt = read_loc_groundtruth(_write(tmp_path / "gt.txt",
                                     "7 2 10 20 3 5 1 30 40 4 6 2\n8 0\n"))
    assert gt.frames["frame"].tolist() == ["7", "8"]
    assert gt.frames["video"].tolist() == ["", ""]
    assert gt.xy.tolist() == [[10, 20], [30, 40]]
    assert gt.radius.tolist() == [[3, 5], [4, 6]]
    assert gt.level.tolist() == [1, 2]
    assert gt.counts().tolist() == [2, 0]


def test_hand_checked_match(tmp_path):
    # Image 1: head A (σ_s 2, σ_l 4) at (10, 10), head B (σ_s 2, σ_l 4) at (20, 10);
    # predictions at d=3 from A and d=1 from B: σ_s matches B only, σ_l both.
    gt = read_loc_groundtruth(_write(tmp_path / "gt.txt",
                                     "1 2 10 10 2 4 0 20 10 2 4 0\n2 1 5 5 9 9 3\n"))
    preds = _write(tmp_path / "p.txt", "1 2 13 10 19 10\n2 0\n")
    s, l_ = evaluate(gt, preds, sigmas=(), metrics=("box",)).box_threshold
    assert (s.tp, s.fp, s.fn) == (1, 1, 2)
    assert (l_.tp, l_.fp, l_.fn) == (2, 0, 1)


def test_boundary_is_inclusive(tmp_path):
    gt = read_loc_groundtruth(_write(tmp_path / "gt.txt", "1 1 0 0 3 5 0\n"))
    preds = _write(tmp_path / "p.txt", "1 1 3 4\n")  # d = 5 exactly
    s, l_ = evaluate(gt, preds, sigmas=(), metrics=("box",)).box_threshold
    assert (s.tp, l_.tp) == (0, 1)


@pytest.mark.parametrize("text, where", [
    ("1 2 10 10 2 4 0\n", "line 1"),         # num says 2, one head given
    ("1 1 10 10\n", "line 1"),                 # a prediction line in a GT file
    ("1 0\n1 0\n", "line 2"),                  # id twice
    ("1 1 10 x 2 4 0\n", "line 1"),
    # Not finite, or radii and levels the evaluation cannot use (they were read and
    # scored: NaN gave P = R = 0 with a NumPy warning, a NaN num an internal error).
    ("1 1 nan 5 3 4 1\n", "line 1: expected a finite number, got 'nan'"),
    ("1 nan\n", "line 1: expected a finite number"),
    ("1 1 10 5 3 inf 1\n", "got 'inf'"),
    ("1 0\n2 1 10 5 -3 4 1\n", r"line 2, head 1 \(tokens 3-7\): expected sigma_s"),
    ("1 2 10 5 3 4 1 9 9 3 0 1\n", r"head 2 \(tokens 8-12\)"),
    ("1 1 10 5 3 4 1.5\n", "a level >= 0"),
    ("1 1 1_0 5 3 4 1\n", "got '1_0'"),  # float() would read 10
    ("1 1 \uff13 5 3 4 1\n", "expected a finite number"),  # a full-width 3
])
def test_bad_groundtruth(tmp_path, text, where):
    with pytest.raises(AnnotationFormatError, match=where):
        read_loc_groundtruth(_write(tmp_path / "gt.txt", text))


def test_bad_predictions(tmp_path):
    with pytest.raises(PredictionFormatError, match="line 2"):
        read_loc_predictions(_write(tmp_path / "p.txt", "1 1 3 4\n2 2 1 1\n"))
    with pytest.raises(PredictionFormatError, match="no images"):
        read_loc_predictions(_write(tmp_path / "p.txt", "\n"))
    for text, says in (("1 1 nan 5\n", "finite"), ("1 1 1e12 5\n", "within"),
                       ("1 1.5\n", "'id num'"), ("1 1 2_0 5\n", "'2_0'")):
        with pytest.raises(PredictionFormatError, match=says):
            read_loc_predictions(_write(tmp_path / "p.txt", text))


def test_cli_nan_in_a_prediction_file_is_one_line(tmp_path):
    from vscrowd.cli.main import app

    gt = _write(tmp_path / "gt.txt", "1 1 10 5 3 4 1\n")
    preds = _write(tmp_path / "p.txt", "1 1 nan 5\n")
    res = CliRunner().invoke(app, ["eval", str(preds), "--data", str(gt)])
    assert res.exit_code == 2 and "internal error" not in res.output
    assert res.stderr.strip() == f"error: {preds}, line 1: expected a finite number, got 'nan'"


@pytest.mark.parametrize("extra, says", [
    (["--split", "test"], "--split test: val_gt_loc.txt holds NWPU-Crowd's val images only"),
    (["--split", "train"], "--split train"),
    (["--dataset", "fdst"], "--dataset fdst (or VSCROWD_DATASET): a ground-truth file is"),
])
def test_cli_options_a_loc_ground_truth_cannot_honour(tmp_path, monkeypatch, extra, says):
    # (They were ignored: --split test scored the val images.)
    from vscrowd.cli.main import app

    monkeypatch.delenv("VSCROWD_DATASET", raising=False)
    gt = _write(tmp_path / "gt.txt", "1 1 10 5 3 4 1\n")
    preds = _write(tmp_path / "p.txt", "1 1 10 5\n")
    res = CliRunner().invoke(app, ["eval", str(preds), "--data", str(gt), *extra])
    assert res.exit_code == 2 and says in res.stderr
    for fine in ([], ["--split", "val"], ["--split", "all"], ["--dataset", "nwpu"]):
        res = CliRunner().invoke(app, ["eval", str(preds), "--data", str(gt), *fine])
        assert res.exit_code == 0 and "sigma_s: P 100.00" in res.output, (fine, res.output)


def test_read_predictions_dispatches_txt_file(tmp_path):
    p = read_predictions(_write(tmp_path / "p.txt", "1 2 3 4 5 6\n"))
    assert p.xy.tolist() == [[3, 4], [5, 6]] and p.score.tolist() == [1, 1]


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10**6), n_dt=st.integers(0, 30), n_gt=st.integers(0, 30))
def test_radius_pairs_equal_brute_force(seed, n_dt, n_gt):
    rng = np.random.default_rng(seed)
    dt_f, gt_f = rng.integers(0, 3, n_dt), rng.integers(0, 3, n_gt)
    dt_xy, gt_xy = rng.uniform(0, 200, (n_dt, 2)), rng.uniform(0, 200, (n_gt, 2))
    r = rng.choice([0.5, 3.0, 17.0, 90.0, 400.0], n_gt)
    pd_, pg = radius_pairs(dt_f, dt_xy, gt_f, gt_xy, r)
    got = set(zip(pd_.tolist(), pg.tolist()))
    want = {(i, j) for i in range(n_dt) for j in range(n_gt)
            if dt_f[i] == gt_f[j] and np.hypot(*(dt_xy[i] - gt_xy[j])) <= r[j]}
    assert got == want


def _official(path: Path) -> dict[str, dict[str, float]]:
    out, name = {}, None
    for line in path.read_text().splitlines():
        if line.startswith("== "):
            name = line[3:].strip()
            out[name] = {}
        elif ":" in line:
            k, v = line.split(":")
            out[name][k.strip()] = float(v)
    return out


@pytest.mark.skipif(not (REAL / "val_gt_loc.txt").is_file(),
                    reason="needs ../shared/real/nwpu-loc (NWPU-Crowd official eval files)")
@pytest.mark.parametrize("name", ["Raz_loc_val_0.5.txt", "fasterRCNN_val_0.8_0.3.txt"])
def test_official_nwpu_evaluation(name):
    want = _official(REAL / "official_eval_output.txt")[name]
    gt = read_loc_groundtruth(REAL / "val_gt_loc.txt")
    assert len(gt.frames) == 500 and len(gt) == 196238
    r = evaluate(gt, REAL / name, sigmas=(), metrics=("box", "count"))
    s, l_ = r.box_threshold
    # Same integers, same float operations as eval.py: bit-for-bit equal.
    assert (s.precision, s.recall, s.f1) == (want["AP_small"], want["AR_small"],
                                             want["F1m_small"])
    assert (l_.precision, l_.recall, l_.f1) == (want["AP_large"], want["AR_large"],
                                                want["F1m_large"])
    assert r.counting.mae == pytest.approx(want["MAE"], rel=1e-12)
    assert r.counting.rmse == pytest.approx(want["MSE"], rel=1e-12)  # eval.py's MSE is a root
    assert r.counting.nae == pytest.approx(want["NAE"], rel=1e-12)


@pytest.mark.skipif(not (REAL / "val_gt_loc.txt").is_file(),
                    reason="needs ../shared/real/nwpu-loc (NWPU-Crowd official eval files)")
def test_cli_scores_val_gt_loc(tmp_path):
    from vscrowd.cli.main import app

    out = tmp_path / "r.json"
    res = CliRunner().invoke(app, ["eval", str(REAL / "fasterRCNN_val_0.8_0.3.txt"),
                                   "--data", str(REAL / "val_gt_loc.txt"), "--json", str(out)])
    assert res.exit_code == 0, res.output
    import json

    box = {b["radius"]: b for b in json.loads(out.read_text())["box_threshold"]}
    assert box["sigma_s"]["P"] == 0.8999219156689224
    assert box["sigma_l"]["F1"] == 0.0726454232500662
