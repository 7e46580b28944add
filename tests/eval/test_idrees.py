"""The paper's Table IX protocol (Idrees et al. 2018): P/R/AUC over distance thresholds."""

from __future__ import annotations

import numpy as np
import pytest

from vscrowd.eval import GroundTruth, Predictions, evaluate
from vscrowd.eval.families.idrees import IDREES_THRESHOLDS, idrees_curve, pr_auc


def _one_frame(gt, dt):
    return (np.zeros(len(dt), np.int64), np.asarray(dt, float), np.zeros(len(gt), np.int64),
            np.asarray(gt, float))


def test_hand_checked_vector():
    # GT at (0,0), (10,0); predictions at distance 1 from the first, 3 from the second,
    # and one far false positive. Thresholds 1, 2, 3 px:
    #   r=1: TP 1 -> P 1/3, R 1/2;  r=2: the same;  r=3: TP 2 -> P 2/3, R 1.
    args = _one_frame([[0, 0], [10, 0]], [[1, 0], [13, 0], [50, 50]])
    p, r = idrees_curve(*args, thresholds=np.array([1.0, 2.0, 3.0]))
    np.testing.assert_allclose(p, [1 / 3, 1 / 3, 2 / 3])
    np.testing.assert_allclose(r, [0.5, 0.5, 1.0])
    # Mean P 4/9, mean R 2/3; AUC: 0..0.5 at P 1/3 (1/6) + trapezoid 0.5..1 (1/4) = 5/12.
    assert pr_auc(p, r) == pytest.approx(5 / 12)
    assert p.mean() == pytest.approx(4 / 9) and r.mean() == pytest.approx(2 / 3)


def test_matching_is_maximum_not_greedy():
    # A is nearest to g0 but also within reach of g1; B reaches only g0. Greedy
    # nearest-first would pair A-g0 and leave B alone; the maximum matching pairs both.
    args = _one_frame([[0, 0], [4, 0]], [[1, 0], [-2, 0]])
    p, r = idrees_curve(*args, thresholds=np.array([3.0]))
    assert p.tolist() == [1.0] and r.tolist() == [1.0]


def test_frames_do_not_match_across():
    dt_frame = np.array([1]); gt_frame = np.array([0])  # noqa: E702
    p, r = idrees_curve(dt_frame, np.array([[0.0, 0.0]]), gt_frame, np.array([[0.0, 0.0]]))
    assert p.max() == 0 and r.max() == 0


def test_through_evaluate_and_json():
    gt = GroundTruth.from_points({("v", "1"): np.array([[0.0, 0.0], [10.0, 0.0]])})
    pr = Predictions.from_records([{"video": "v", "frame": "1",
                                    "points": [[1, 0, 0.9], [13, 0, 0.8], [50, 50, 0.1]]}])
    res = evaluate(gt, pr, metrics=["sigma", "idrees"])
    d = res.to_dict()["idrees"]
    assert d["thresholds"] == IDREES_THRESHOLDS.tolist()
    # From 3 px on both heads match: P = (2·(1/3) + 98·(2/3)) / 100, R = (2·.5 + 98) / 100.
    assert d["precision"] == pytest.approx((2 / 3 + 98 * 2 / 3) / 100)
    assert d["recall"] == pytest.approx((1 + 98) / 100)
    assert "Idrees et al. P/R/AUC" in str(res)
    assert not IDREES_THRESHOLDS.flags.writeable
