from __future__ import annotations

import warnings

import pytest
import torch

from vscrowd import CheckpointError, ConfigError
from vscrowd.models import (
    GaussianNeighborhoodAttention,
    VGG16Backbone,
    build_model,
    dense_attention,
    find_peaks,
    gaussian_offsets,
    list_models,
    load_backbone_weights,
)
from vscrowd.models.backbone import BACKBONES, conv_indices
from vscrowd.models.gna import reflect_index
from vscrowd.models.state import load_state_strict


def _all_positions(p, H, W):
    return torch.arange(H * W).expand(len(p), H * W)


PAPER_VARIANTS = {"baseline", "baseline-1frame", "sm", "sm-f", "sm-t", "gnanet-1focus",
                  "gnanet", "s-gnanet", "lanet", "ranet", "dranet"}


def _build(name, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_model(name, **{"width": 0.0625, "n_samples": 4, **kw})


def test_registry_names():
    assert set(list_models()) == PAPER_VARIANTS
    with pytest.raises(ConfigError, match="expected a model in .*'gnanet'"):
        build_model("resnet")


def test_registry_reports_options_precisely_and_keeps_bugs_internal(monkeypatch):
    with pytest.raises(ConfigError, match=r"unknown option\(s\) \['wings'\] for model 'gnanet'"):
        build_model("gnanet", wings=2)
    with pytest.raises(ConfigError, match="fixed by model 'sm'"):
        build_model("sm", temporal_gna=True)

    def broken(*a, **k):
        raise TypeError("a bug inside the model")

    monkeypatch.setattr("vscrowd.models.gnanet.GNANet.__init__", broken)
    with pytest.raises(TypeError, match="a bug inside"):  # not turned into "bad option"
        build_model("gnanet")


@pytest.mark.parametrize(("name", "parts"), [
    ("baseline", {"fuse"}), ("baseline-1frame", set()), ("sm", {"fuse", "scene_gna"}),
    ("sm-f", {"fuse", "scene_gna", "objective_gna"}),
    ("sm-t", {"fuse", "scene_gna", "temporal_gna"}),
    ("gnanet", {"fuse", "scene_gna", "objective_gna", "temporal_gna"}),
    ("s-gnanet", {"self_gna"})])
def test_variants_have_the_papers_parts(name, parts):
    model = _build(name)
    have = {p for p in ("fuse", "scene_gna", "objective_gna", "temporal_gna", "self_gna")
            if getattr(model, p) is not None}
    assert have == parts


@pytest.mark.parametrize(("name", "sampler", "gammas", "m"), [
    ("gnanet", "gaussian", (3.0, 5.0, 10.0), 3), ("gnanet-1focus", "gaussian", (5.0,), 3),
    ("sm", "gaussian", (5.0,), 3), ("lanet", "local", (5.0,), 3),
    ("ranet", "uniform", (5.0,), 3), ("dranet", "disk", (5.0,), 3),
    ("s-gnanet", "gaussian", (3.0, 5.0, 10.0), 1), ("baseline-1frame", "gaussian", (3.0, 5.0,
                                                                                  10.0), 1)])
def test_variant_settings_follow_tables_xiii_xiv(name, sampler, gammas, m):
    cfg = _build(name).config
    assert (cfg.sampler, cfg.gammas, cfg.clip_length) == (sampler, gammas, m)
    assert cfg.disk_scale == 3.0 and cfg.window == 9 and not cfg.projections


def test_paper_baseline_fuses_all_frames():
    model = _build("baseline").eval()
    x = torch.randn(1, 3, 3, 32, 48)
    y = x.clone()
    y[:, 0] += 1.0  # change a non-objective frame
    with torch.no_grad():
        assert not torch.equal(model(x), model(y))
        one = _build("baseline-1frame").eval()
        assert torch.equal(one(x[:, 1:2]), one(x[:, 1:2]))


@pytest.mark.parametrize("name", list_models())
def test_every_variant_forward_backward(name):
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = build_model(name, width=0.0625, n_samples=4, chunk_size=512)
    m = model.config.clip_length
    x = torch.randn(2, m, 3, 64, 96)
    y = model(x)
    assert y.shape == (2, 1, 64, 96)
    y.float().mean().backward()
    grads = [p.grad for p in model.parameters() if p.requires_grad]
    assert all(g is not None for g in grads)
    assert any(g.abs().sum() > 0 for g in grads[:2])  # reaches the backbone


@pytest.mark.parametrize("m", [1, 3])
def test_gna_without_projections_equals_dense_attention(m):
    """The paper's GNA: Q = query map, K = V = key maps, no learned projection."""
    torch.manual_seed(0)
    gna = GaussianNeighborhoodAttention(6, n_samples=3).double()
    assert sum(p.numel() for p in gna.parameters()) == 0
    gna.index_sampler = _all_positions
    q = torch.randn(2, 6, 4, 5, dtype=torch.float64)
    kv = torch.randn(2, m, 6, 4, 5, dtype=torch.float64)
    torch.testing.assert_close(gna(q, kv), dense_attention(q, kv, kv), atol=1e-10, rtol=1e-10)


@pytest.mark.parametrize("m", [1, 3])
def test_gna_with_projections_equals_dense_attention(m):
    torch.manual_seed(0)
    gna = GaussianNeighborhoodAttention(6, dim=4, n_samples=3, projections=True).double()
    gna.index_sampler = _all_positions
    q = torch.randn(2, 6, 4, 5, dtype=torch.float64)
    kv = torch.randn(2, m, 6, 4, 5, dtype=torch.float64)
    out = gna(q, kv)
    ref = dense_attention(gna.q_proj(q), gna.k_proj(kv.flatten(0, 1)).view(2, m, 4, 4, 5),
                          gna.v_proj(kv.flatten(0, 1)).view(2, m, 6, 4, 5))
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)


def test_each_module_has_its_own_evaluation_stream():
    model = _build("gnanet")
    seeds = [g.eval_seed for g in (model.scene_gna, model.temporal_gna, model.objective_gna)]
    assert len(set(seeds)) == 3
    # Same seed -> same positions; the modules' seeds -> different positions.
    gen = [torch.Generator().manual_seed(s) for s in seeds]
    p = torch.arange(20)
    pos = [model.scene_gna._positions(p, 10, 12, 1, 5.0, g) for g in gen]
    assert not torch.equal(pos[0], pos[2])
    again = model.scene_gna._positions(p, 10, 12, 1, 5.0, torch.Generator().manual_seed(seeds[0]))
    assert torch.equal(pos[0], again)


def test_reflect_index_matches_numpy_reflect():
    import numpy as np

    for n in (1, 2, 5, 9):
        idx = torch.arange(-40, 41)
        ref = np.pad(np.arange(n), 60, mode="reflect" if n > 1 else "edge")[idx.numpy() + 60]
        assert reflect_index(idx, n).tolist() == ref.tolist()


@pytest.mark.parametrize("border", ["clamp", "reflect", "resample"])
def test_border_policies(border):
    """On a 12x16 map with γ = 10 a large share of raw samples falls off the map: clamp
    piles them on the edge rows, reflect and resample keep the edge at its share."""
    gna = GaussianNeighborhoodAttention(4, gammas=(10.0,), n_samples=64, border=border)
    H, W = 12, 16
    p = torch.arange(H * W)
    pos = gna._positions(p, H, W, 1, 10.0, torch.Generator().manual_seed(0))
    assert int(pos.min()) >= 0 and int(pos.max()) < H * W
    row = pos // W
    edge = float(((row == 0) | (row == H - 1)).float().mean())
    if border == "clamp":
        assert edge > 0.5
    else:
        assert edge < 0.25  # 2 of 12 rows: 1/6 if uniform; centre-heavy for Gaussian
    if border == "resample":  # a truncated Gaussian: offsets of in-map draws are kept
        gna_r = GaussianNeighborhoodAttention(4, gammas=(1.0,), n_samples=64, border=border)
        pos1 = gna_r._positions(torch.tensor([6 * W + 8]), H, W, 1, 1.0,
                                torch.Generator().manual_seed(1))
        assert float(((pos1 // W) - 6).float().std()) == pytest.approx(1.0, abs=0.35)


def test_dranet_disk_radius_is_three_gamma():
    gna = GaussianNeighborhoodAttention(4, gammas=(5.0,), n_samples=4000, sampler="disk")
    H = W = 101
    pos = gna._positions(torch.tensor([50 * W + 50]), H, W, 1, 5.0,
                         torch.Generator().manual_seed(0))
    r = (((pos // W) - 50) ** 2 + ((pos % W) - 50) ** 2).float().sqrt()
    assert 14.0 < float(r.max()) <= 15 + 0.5 * 2 ** 0.5  # 3γ plus per-axis rounding


def test_chunked_equals_unchunked():
    torch.manual_seed(0)
    a = GaussianNeighborhoodAttention(8, n_samples=5, chunk_size=7).eval()
    b = GaussianNeighborhoodAttention(8, n_samples=5, chunk_size=10_000).eval()
    b.load_state_dict(a.state_dict())
    a.index_sampler = b.index_sampler = _all_positions
    x = torch.randn(2, 8, 6, 7)
    torch.testing.assert_close(a(x, x), b(x, x))


def test_gradcheck_on_tiny_map():
    torch.manual_seed(0)
    gna = GaussianNeighborhoodAttention(4, n_samples=3, chunk_size=5).double()
    gna.index_sampler = lambda p, H, W: (p[:, None] + torch.tensor([0, 1, W])) % (H * W)
    q = torch.randn(1, 4, 3, 4, dtype=torch.float64, requires_grad=True)
    k = torch.randn(1, 2, 4, 3, 4, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda a, b: gna(a, b), (q, k), eps=1e-6, atol=1e-5)


def test_gradients_reach_q_k_v():
    gna = GaussianNeighborhoodAttention(4, n_samples=6, projections=True)
    x = torch.randn(1, 4, 5, 5)
    gna(x).sum().backward()
    for proj in (gna.q_proj, gna.k_proj, gna.v_proj):
        assert proj.weight.grad is not None and proj.weight.grad.abs().sum() > 0


def test_sampling_statistics():
    g = torch.Generator().manual_seed(0)
    off = gaussian_offsets((200_000,), 5.0, g).float()
    assert abs(float(off.mean())) < 0.05
    # round() adds uniform(-.5, .5) noise: variance gamma^2 + 1/12.
    assert float(off.std()) == pytest.approx((25 + 1 / 12) ** 0.5, rel=0.02)


def test_eval_is_deterministic_training_is_not():
    torch.manual_seed(0)
    gna = GaussianNeighborhoodAttention(8, n_samples=4, eval_seed=3)
    x = torch.randn(1, 8, 9, 9)
    gna.eval()
    torch.testing.assert_close(gna(x), gna(x))
    gna.train()
    with torch.no_grad():
        assert not torch.equal(gna(x), gna(x))


def _torchvision_vgg16() -> dict[str, torch.Tensor]:
    """A state dict with torchvision's vgg16 key names and shapes (all 13 convs)."""
    sd, c_in = {}, 3
    for i, c in zip(conv_indices("vgg16-13conv"), [64, 64, 128, 128, 256, 256, 256] + [512] * 6):
        sd[f"features.{i}.weight"] = torch.randn(c, c_in, 3, 3)
        sd[f"features.{i}.bias"] = torch.randn(c)
        c_in = c
    sd["classifier.0.weight"] = torch.randn(8, 16)  # ignored (small: only its name matters)
    return sd


def test_backbone_layer_lists():
    """The paper's "first 13 layers": 10 convs and 3 pools, CSRNet's front-end."""
    assert [x for x in BACKBONES["vgg16-10conv"]] == [64, 64, "M", 128, 128, "M", 256, 256,
                                                      256, "M", 512, 512, 512]
    b = VGG16Backbone()
    convs = [i for i, m in enumerate(b.features) if isinstance(m, torch.nn.Conv2d)]
    pools = [i for i, m in enumerate(b.features) if isinstance(m, torch.nn.MaxPool2d)]
    assert convs == [0, 2, 5, 7, 10, 12, 14, 17, 19, 21] and pools == [4, 9, 16]
    assert b.out_channels == 512 and len(b.features) == 23
    assert sum(p.numel() for p in b.parameters()) == 7_635_264
    old = VGG16Backbone(name="vgg16-13conv")
    assert sum(p.numel() for p in old.parameters()) == 14_714_688
    with pytest.raises(ConfigError, match="expected backbone"):
        VGG16Backbone(name="resnet")


@pytest.mark.parametrize("name", ["vgg16-10conv", "vgg16-13conv"])
def test_torchvision_layout_state_dict_loads(tmp_path, name):
    sd = _torchvision_vgg16()
    torch.save(sd, tmp_path / "vgg16.pth")
    ref = VGG16Backbone(name=name)
    load_backbone_weights(ref, tmp_path / "vgg16.pth")
    last = conv_indices(name)[-1]
    assert torch.equal(ref.features[last].weight, sd[f"features.{last}.weight"])
    small = VGG16Backbone(width=0.25)
    with pytest.raises(CheckpointError, match="mismatched"):
        load_backbone_weights(small, tmp_path / "vgg16.pth")
    (tmp_path / "bad.pth").write_bytes(b"junk")
    with pytest.raises(CheckpointError, match="cannot read"):
        load_backbone_weights(ref, tmp_path / "bad.pth")


@pytest.mark.parametrize("name", ["vgg16-10conv", "vgg16-13conv"])
def test_backbone_stride_8(name):
    b = VGG16Backbone(width=0.0625, name=name)
    assert b(torch.randn(1, 3, 64, 96)).shape[-2:] == (8, 12)


@pytest.mark.parametrize(("option", "hint"), [({"backbone": "vgg16-13conv"}, "backbone="),
                                              ({"projections": True}, "projections=True")])
def test_old_layout_weights_refused_with_the_option_that_loads_them(option, hint):
    old = _build("gnanet", **option)
    new = _build("gnanet")
    with pytest.raises(CheckpointError, match=hint):
        load_state_strict(new, old.state_dict(), "old.pt")
    load_state_strict(_build("gnanet", **option), old.state_dict(), "old.pt")


def test_find_peaks_exactly_the_planted_ones():
    m = torch.zeros(2, 1, 40, 50)
    planted = [(5, 7), (20, 30), (33, 44)]
    for y, x in planted:
        m[0, 0, y - 1:y + 2, x - 1:x + 2] = 0.9
        m[0, 0, y, x] = 1.0
    pts = find_peaks(m, threshold=0.5)
    got = sorted((int(p[1] - 0.5), int(p[0] - 0.5)) for p in pts[0])
    assert got == sorted(planted)
    assert len(pts[1]) == 0
    # Undo the eval transform: scale 2, offset (4, 0).
    back = find_peaks(m[:1], threshold=0.5, scale=2.0, offset=(4.0, 0.0))[0]
    assert sorted(back[:, 0].tolist())[0] == pytest.approx((7 + 0.5 - 4) / 2)


def test_wrong_clip_length_and_size():
    model = _build("gnanet", n_samples=2)
    with pytest.raises(ConfigError, match="3 frames"):
        model(torch.randn(1, 1, 3, 64, 64))
    with pytest.raises(ConfigError, match="multiples of 8"):
        model(torch.randn(1, 3, 3, 60, 64))
