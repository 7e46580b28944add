"""The metric-family registry: the evaluator, the results (JSON and text) and option
validation loop over it, so a family is added as one module (docs/contributing.md shows
the diff); here one is added at run time and goes through every stage."""

from __future__ import annotations

import numpy as np
import pytest

from vscrowd import ConfigError
from vscrowd.eval import GroundTruth, Predictions, evaluate
from vscrowd.eval.families import FAMILIES, METRICS, MetricFamily, family


def _nearest(ctx) -> float | None:
    """Mean distance from each head to the nearest prediction of its frame (brute force)."""
    gt, al = ctx.gt, ctx.al
    d = []
    for f, xy in zip(gt.frame_index, gt.xy):
        mine = al.dt_xy[al.dt_frame == f]
        d.append(np.hypot(*(mine - xy).T).min() if len(mine) else np.inf)
    return float(np.mean(d)) if d else None


NEAREST = MetricFamily(
    name="nearest", summary="mean distance from a head to the nearest prediction",
    compute=_nearest, to_dict=lambda v: {"nearest": v},
    lines=lambda v, fmt: [f"nearest prediction: {v:.3f} px"])


def _case():
    gt = GroundTruth.from_points({("v", "1"): np.array([[10.0, 10.0], [40.0, 40.0]]),
                                  ("v", "2"): np.array([[5.0, 5.0]])})
    pr = Predictions.from_records([
        {"video": "v", "frame": "1", "points": [[13, 14, 0.9], [40, 41, 0.8]]},
        {"video": "v", "frame": "2", "points": [[5, 7, 0.7]]}])
    return gt, pr


def test_a_family_added_to_the_registry_goes_through_every_stage(monkeypatch):
    gt, pr = _case()
    with pytest.raises(ConfigError, match="nearest"):
        evaluate(gt, pr, metrics=["nearest"])
    monkeypatch.setitem(FAMILIES, "nearest", NEAREST)
    res = evaluate(gt, pr, sigmas=[5], metrics=["sigma", "nearest"])
    assert res["nearest"] == pytest.approx((5 + 1 + 2) / 3)
    out = res.to_dict()
    assert out["nearest"] == pytest.approx(8 / 3) and "localization" in out
    assert "nearest prediction: 2.667 px" in str(res)


def test_the_registry_lists_the_selectable_families_in_output_order():
    assert METRICS == ("sigma", "count", "box", "distance", "idrees", "track", "size", "video")
    assert not family("bootstrap").selectable and "bootstrap" in FAMILIES
    with pytest.raises(KeyError, match="expected a metric family"):
        family("nope")


def test_families_not_selected_are_absent_and_named_views_read_the_registry():
    gt, pr = _case()
    res = evaluate(gt, pr, sigmas=[5], metrics=["count"])
    assert res.localization == () and res.counting.mae == 0.0
    assert list(res.to_dict()) == ["counting", "frames", "gt_points", "pred_points"]
    with pytest.raises(KeyError, match="computed: \\['count'\\]"):
        res["sigma"]
