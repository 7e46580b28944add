"""The peak rule against an oracle: the training target of any set of heads comes back.

The oracle is the training target itself (vscrowd.data.targets.binary_map, the map a
perfect model would output), scaled by a probability p: every head must come back
within one output pixel when p >= threshold, nothing when p < threshold.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

from vscrowd.data.targets import binary_map
from vscrowd.eval import GroundTruth, Predictions, evaluate
from vscrowd.models import find_peaks
from vscrowd.models.postprocess import NMS_RADIUS, PeakRule, choose_count_threshold

H, W = 40, 56
#: Heads at least this far apart (px) have marks that do not touch: the rule is exact
#: there. Closer heads share mark pixels, so the target itself no longer separates them.
MIN_SEP = 4.0


@st.composite
def head_sets(draw, min_sep: float = MIN_SEP):
    """Up to 25 heads at sub-pixel positions, pairwise >= ``min_sep`` apart."""
    n = draw(st.integers(0, 25))
    pts: list[tuple[float, float]] = []
    for _ in range(n):
        x = draw(st.floats(0, W, exclude_max=True, allow_nan=False))
        y = draw(st.floats(0, H, exclude_max=True, allow_nan=False))
        if all((x - a) ** 2 + (y - b) ** 2 >= (min_sep + 1.5) ** 2 for a, b in pts):
            pts.append((x, y))  # +1.5: floor() moves each by < 1 px per axis
    return np.array(pts, np.float64).reshape(-1, 2)


def _pixels(pts: torch.Tensor | np.ndarray) -> set[tuple[int, int]]:
    a = np.asarray(pts)[:, :2]
    return {(int(np.floor(y)), int(np.floor(x))) for x, y in a}


def _assert_every_head_once(heads: np.ndarray, got: torch.Tensor) -> None:
    """One peak per head, on the head's own pixel: within 0.71 px of it (the issue asks
    for one output pixel; with marks that do not touch the rule is exact)."""
    assert len(got) == len(heads)
    assert _pixels(got) == _pixels(heads)
    if len(heads):
        d = np.hypot(*(np.asarray(got)[:, None, :2] - heads[None]).transpose(2, 0, 1))
        assert (d.min(1) <= 1.0).all()


@settings(max_examples=60, deadline=None)
@given(heads=head_sets(), p=st.floats(0.5, 1.0), threshold=st.sampled_from([0.05, 0.3, 0.5]),
       kernel=st.sampled_from(["plus", "pixel"]))
def test_target_at_any_p_above_threshold_returns_every_head(heads, p, threshold, kernel):
    m = torch.from_numpy(binary_map(heads, (H, W), kernel)) * p
    got = find_peaks(m, threshold=threshold)[0]
    _assert_every_head_once(heads, got)
    assert torch.allclose(got[:, 2], torch.tensor(p, dtype=torch.float32).expand(len(got)))


@settings(max_examples=30, deadline=None)
@given(heads=head_sets(), frac=st.floats(0.0, 0.999), kernel=st.sampled_from(["plus", "pixel"]))
def test_below_threshold_nothing_comes_back(heads, frac, kernel):
    threshold = 0.5
    m = torch.from_numpy(binary_map(heads, (H, W), kernel)) * (threshold * frac)
    assert len(find_peaks(m, threshold=threshold)[0]) == 0


@settings(max_examples=15, deadline=None)
@given(heads=head_sets(), p=st.floats(0.3, 1.0))
def test_target_scores_ap_and_ar_of_one_at_sigma_5(heads, p):
    if not len(heads):
        return
    m = torch.from_numpy(binary_map(heads, (H, W), "plus")) * p
    got = find_peaks(m, threshold=0.3)[0]
    gt = GroundTruth.from_points({("v", "1"): heads})
    pr = Predictions.from_records([{"video": "v", "frame": "1", "points": got.tolist()}])
    r = evaluate(gt, pr, sigmas=[5]).sigma(5)
    assert r.map == pytest.approx(1.0) and r.mar == pytest.approx(1.0)


def test_issue_example_300_heads_at_p_085_all_come_back():
    # The issue's measurement: 300 random heads on 480x270 at p = 0.85 used to give
    # 3-11 points. Heads that share mark pixels are merged by the target, so the
    # reference is the number of separable heads.
    rng = np.random.default_rng(0)
    pts = rng.uniform([0, 0], [480, 270], (300, 2))
    keep: list[np.ndarray] = []
    for q in pts:
        if all(np.hypot(*(q - k)) >= MIN_SEP + 1.5 for k in keep):
            keep.append(q)
    heads = np.array(keep)
    m = torch.from_numpy(binary_map(heads, (270, 480), "plus")) * 0.85
    _assert_every_head_once(heads, find_peaks(m, threshold=0.5)[0])


def test_single_pixel_spikes_come_back_with_their_own_score():
    m = torch.zeros(2, 1, 20, 30)
    m[0, 0, 3, 4] = 1.0
    m[0, 0, 15, 25] = 0.6
    m[1, 0, 0, 0] = 0.51  # a corner
    got = find_peaks(m, threshold=0.5)
    assert sorted(got[0].tolist()) == [[4.5, 3.5, 1.0], [25.5, 15.5, pytest.approx(0.6)]]
    assert got[1].tolist() == [[0.5, 0.5, pytest.approx(0.51)]]


def test_nms_radius_in_pixels_and_greedy_chain():
    m = torch.zeros(10, 20)
    # A chain of peaks 2 px apart, decreasing: greedy keeps 0.9 (x=2), drops 0.8 (x=4),
    # keeps 0.7 (x=6): the dropped one does not suppress its own neighbour.
    for x, v in ((2, 0.9), (4, 0.8), (6, 0.7)):
        m[5, x] = v
    xs = sorted(int(p[0]) for p in find_peaks(m, threshold=0.1, radius=2.0)[0])
    assert xs == [2, 6]
    xs = sorted(int(p[0]) for p in find_peaks(m, threshold=0.1, radius=1.5)[0])
    assert xs == [2, 4, 6]
    assert NMS_RADIUS == 2.0


def test_equal_spikes_within_radius_give_one_point():
    m = torch.zeros(9, 9)
    m[4, 3] = m[4, 5] = 0.8  # equal, 2 px apart
    assert len(find_peaks(m, threshold=0.5)[0]) == 1


def test_choose_count_threshold_minimises_mae_against_brute_force():
    rng = np.random.default_rng(1)
    scores = [rng.uniform(0, 1, rng.integers(0, 30)) for _ in range(12)]
    counts = [int((s >= 0.62).sum()) + int(rng.integers(-1, 2)) for s in scores]
    t, mae = choose_count_threshold(scores, counts)
    grid = np.linspace(0.05, 1.0, 2001)
    brute = min(np.mean([abs(int((s >= g).sum()) - c) for s, c in zip(scores, counts)])
                for g in grid)
    assert mae == pytest.approx(brute)
    assert np.mean([abs(int((s >= t).sum()) - c) for s, c in zip(scores, counts)]) == mae


def test_peak_rule_validates():
    with pytest.raises(Exception, match="score_floor"):
        PeakRule(score_floor=1.5).validate()
    assert PeakRule().validate().radius == NMS_RADIUS


def _reference_peaks(m: np.ndarray, threshold: float, radius: float) -> set[tuple[int, int]]:
    """Plain greedy NMS, one candidate at a time (the rule as written in the docs)."""
    h, w = m.shape
    pad = np.pad(m, 1, constant_values=-np.inf)
    plus = np.pad(m, 1)
    cands = []
    for y in range(h):
        for x in range(w):
            if m[y, x] >= threshold and m[y, x] == pad[y:y + 3, x:x + 3].max():
                s = (plus[y + 1, x + 1] + plus[y, x + 1] + plus[y + 2, x + 1]
                     + plus[y + 1, x] + plus[y + 1, x + 2])
                cands.append((-m[y, x], -s, y * w + x, y, x))
    kept: list[tuple[int, int]] = []
    for *_, y, x in sorted(cands):
        if all((y - a) ** 2 + (x - b) ** 2 > radius * radius for a, b in kept):
            kept.append((y, x))
    return set(kept)


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), levels=st.sampled_from([3, 5, 50]),
       radius=st.sampled_from([1.0, 1.5, 2.0, 3.0]), threshold=st.sampled_from([0.0, 0.3]))
# Equal probabilities whose plus sums a float32 convolution rounded to another order.
@example(seed=2327, levels=50, radius=1.0, threshold=0.0)
def test_peaks_equal_a_plain_greedy_reference(seed, levels, radius, threshold):
    # Few grey levels make ties and chains of peaks (the parallel part's hard cases).
    rng = np.random.default_rng(seed)
    m = (rng.integers(0, levels, (12, 15)) / (levels - 1)).astype(np.float32)
    got = find_peaks(torch.from_numpy(m), threshold=threshold, radius=radius)[0]
    assert {(int(y), int(x)) for x, y, _ in got.tolist()} == _reference_peaks(
        m.astype(np.float64), threshold, radius)
