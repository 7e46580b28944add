"""Point-tracking metrics against TrackEval (HOTA, CLEAR, identity) and motmetrics."""

from __future__ import annotations

import motmetrics as mm  # the dev extra's test oracles
import numpy as np
import pytest
import trackeval
from hypothesis import example, given, settings
from hypothesis import strategies as st

from vscrowd.eval.tracking import TrackSequence, sequence_counts, tracking_metrics


def _random_sequence(rng: np.random.Generator, n_frames: int = 12, n_people: int = 6,
                     noise=(2.0, 15.0, 40.0), spread: float = 100.0) -> TrackSequence:
    """People walking; the prediction jitters, misses, adds false points, swaps IDs,
    fragments tracks, and some people leave and re-enter."""
    gt_f, gt_i, gt_xy, dt_f, dt_i, dt_xy = [], [], [], [], [], []
    start = rng.uniform(0, spread, (n_people, 2))
    vel = rng.normal(0, 3, (n_people, 2))
    present = rng.random((n_frames, n_people)) > 0.2  # leave / re-enter
    pred_id = np.arange(n_people) + 100
    for f in range(n_frames):
        if rng.random() < 0.25:  # an ID swap between two predicted tracks
            a, b = rng.choice(n_people, 2, replace=False)
            pred_id[[a, b]] = pred_id[[b, a]]
        if rng.random() < 0.1:  # a fragment: a fresh predicted ID
            pred_id[rng.integers(n_people)] = 1000 + f
        for p in range(n_people):
            if not present[f, p]:
                continue
            xy = start[p] + f * vel[p]
            gt_f.append(f); gt_i.append(p); gt_xy.append(xy)  # noqa: E702
            if rng.random() < 0.85:
                dt_f.append(f); dt_i.append(pred_id[p])  # noqa: E702
                dt_xy.append(xy + rng.normal(0, rng.choice(noise), 2))
        for k in range(rng.poisson(0.7)):
            dt_f.append(f); dt_i.append(5000 + 10 * f + k)  # noqa: E702
            dt_xy.append(rng.uniform(0, 1.5 * spread, 2) + (0 if spread <= 100 else 5 * spread))
    arr = np.asarray
    return TrackSequence(n_frames, arr(gt_f, np.int64), arr(gt_i, np.int64),
                         arr(gt_xy, float).reshape(-1, 2), arr(dt_f, np.int64),
                         arr(dt_i, np.int64), arr(dt_xy, float).reshape(-1, 2))


def _similarity(a, b, sigma):
    d2 = ((a[:, None] - b[None]) ** 2).sum(-1)
    return np.exp(-d2 / (2 * sigma**2))


def _trackeval_data(seq: TrackSequence, sigma: float) -> dict:
    g_ids, g_inv = np.unique(seq.gt_id, return_inverse=True)
    d_ids, d_inv = np.unique(seq.dt_id, return_inverse=True)
    data = {"num_timesteps": seq.n_frames, "num_gt_ids": len(g_ids),
            "num_tracker_ids": len(d_ids), "num_gt_dets": len(seq.gt_id),
            "num_tracker_dets": len(seq.dt_id), "gt_ids": [], "tracker_ids": [],
            "similarity_scores": []}
    for f in range(seq.n_frames):
        g, d = seq.gt_frame == f, seq.dt_frame == f
        data["gt_ids"].append(g_inv[g])
        data["tracker_ids"].append(d_inv[d])
        data["similarity_scores"].append(_similarity(seq.gt_xy[g], seq.dt_xy[d], sigma))
    return data


def _reference(seqs, sigma):
    quiet = {"PRINT_CONFIG": False}
    hota, clear, ident = (trackeval.metrics.HOTA(), trackeval.metrics.CLEAR(quiet),
                          trackeval.metrics.Identity(quiet))
    res = {}
    for name, metric in (("hota", hota), ("clear", clear), ("id", ident)):
        per = {str(i): metric.eval_sequence(_trackeval_data(s, sigma))
               for i, s in enumerate(seqs)}
        res[name] = metric.combine_sequences(per) if len(seqs) > 1 else per["0"]
    return res


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.integers(1, 3), st.sampled_from([5.0, 20.0]))
@example(41, 1, 20.0)  # a frame without predictions between two matches (Frag)
def test_equals_trackeval(seed, n_videos, sigma):
    rng = np.random.default_rng(seed)
    seqs = [_random_sequence(rng) for _ in range(n_videos)]
    ours = tracking_metrics(seqs, sigma=sigma)
    ref = _reference(seqs, sigma)
    for key in ("HOTA", "DetA", "AssA", "LocA"):
        assert getattr(ours, key) == pytest.approx(float(np.mean(ref["hota"][key])), abs=1e-9), key
    for key in ("MOTA", "MOTP"):
        assert getattr(ours, key) == pytest.approx(float(ref["clear"][key]), abs=1e-9), key
    assert int(ref["clear"]["IDSW"]) == ours.IDSW and ours.Frag == int(ref["clear"]["Frag"])
    for key in ("IDF1", "IDP", "IDR"):
        assert getattr(ours, key) == pytest.approx(float(ref["id"][key]), abs=1e-9), key


@pytest.mark.parametrize("seed", range(6))
def test_mota_and_idf1_equal_motmetrics(seed):
    """motmetrics solves each frame's assignment as a minimum of Σ(1 - s) over the valid
    pairs, TrackEval (and vscrowd) as a maximum of Σ s: with well-separated people the
    two choose the same matches, and every count agrees (docs/metrics.md)."""
    rng = np.random.default_rng(seed)
    seq = _random_sequence(rng, noise=(2.0,), spread=2000.0)
    acc = mm.MOTAccumulator(auto_id=True)
    for f in range(seq.n_frames):
        g, d = seq.gt_frame == f, seq.dt_frame == f
        sim = _similarity(seq.gt_xy[g], seq.dt_xy[d], 20.0)
        dist = np.where(sim >= 0.5, 1.0 - sim, np.nan)
        acc.update(seq.gt_id[g].tolist(), seq.dt_id[d].tolist(), dist)
    summary = mm.metrics.create().compute(acc, metrics=["mota", "idf1", "num_switches"])
    ours = tracking_metrics([seq], sigma=20.0)
    assert pytest.approx(float(summary["mota"].iloc[0]), abs=1e-9) == ours.MOTA
    assert pytest.approx(float(summary["idf1"].iloc[0]), abs=1e-9) == ours.IDF1
    assert int(summary["num_switches"].iloc[0]) == ours.IDSW


def test_hand_checked_swap():
    # Two people, perfectly localized; the prediction swaps their IDs at frame 2.
    f = np.array([0, 0, 1, 1, 2, 2, 3, 3])
    gid = np.array([0, 1, 0, 1, 0, 1, 0, 1])
    xy = np.array([[0.0, 0], [100, 0]] * 4)
    did = np.array([5, 6, 5, 6, 6, 5, 6, 5])
    r = tracking_metrics([TrackSequence(4, f, gid, xy, f, did, xy)])
    assert r.IDSW == 2 and pytest.approx((8 - 0 - 2) / 8) == r.MOTA
    assert pytest.approx(0.5) == r.IDF1 and r.DetA == pytest.approx(1.0)
    assert r.Frag == 0 and pytest.approx(1.0) == r.MOTP


def test_empty_frames_and_no_predictions():
    f = np.array([1, 1])
    seq = TrackSequence(3, f, np.array([0, 1]), np.array([[0.0, 0], [9, 9]]),
                        np.empty(0, np.int64), np.empty(0, np.int64), np.empty((0, 2)))
    r = tracking_metrics([seq])
    assert r.MOTA == 0.0 and r.DetA == 0.0 and r.IDF1 == 0.0
    assert sequence_counts(seq)["CLR_FN"] == 2
