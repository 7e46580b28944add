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
from vscrowd.models.backbone import CONV_INDICES


def _all_positions(p, H, W):
    return torch.arange(H * W).expand(len(p), H * W)


def test_registry_names():
    assert {"gnanet", "s-gnanet", "baseline", "lanet", "ranet", "dranet"} <= set(list_models())
    with pytest.raises(ConfigError, match="expected a model"):
        build_model("resnet")


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
def test_gna_with_all_positions_equals_dense_attention(m):
    torch.manual_seed(0)
    gna = GaussianNeighborhoodAttention(6, dim=4, n_samples=3).double()
    gna.index_sampler = _all_positions
    q = torch.randn(2, 6, 4, 5, dtype=torch.float64)
    kv = torch.randn(2, m, 6, 4, 5, dtype=torch.float64)
    out = gna(q, kv)
    ref = dense_attention(gna.q_proj(q), gna.k_proj(kv.flatten(0, 1)).view(2, m, 4, 4, 5),
                          gna.v_proj(kv.flatten(0, 1)).view(2, m, 6, 4, 5))
    torch.testing.assert_close(out, ref, atol=1e-5, rtol=1e-5)


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
    gna = GaussianNeighborhoodAttention(4, n_samples=6)
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


def test_torchvision_layout_state_dict_loads(tmp_path):
    ref = VGG16Backbone()
    sd = {}
    c_in = 3
    for i, c in zip(CONV_INDICES, [64, 64, 128, 128, 256, 256, 256] + [512] * 6):
        sd[f"features.{i}.weight"] = torch.randn(c, c_in, 3, 3)
        sd[f"features.{i}.bias"] = torch.randn(c)
        c_in = c
    sd["classifier.0.weight"] = torch.randn(4096, 25088)  # ignored
    torch.save(sd, tmp_path / "vgg16.pth")
    load_backbone_weights(ref, tmp_path / "vgg16.pth")
    assert torch.equal(ref.features[28].weight, sd["features.28.weight"])
    small = VGG16Backbone(width=0.25)
    with pytest.raises(CheckpointError, match="mismatched"):
        load_backbone_weights(small, tmp_path / "vgg16.pth")
    (tmp_path / "bad.pth").write_bytes(b"junk")
    with pytest.raises(CheckpointError, match="cannot read"):
        load_backbone_weights(ref, tmp_path / "bad.pth")


def test_backbone_stride_8():
    b = VGG16Backbone(width=0.0625)
    assert b(torch.randn(1, 3, 64, 96)).shape[-2:] == (8, 12)


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
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = build_model("gnanet", width=0.0625, n_samples=2)
    with pytest.raises(ConfigError, match="3 frames"):
        model(torch.randn(1, 1, 3, 64, 64))
    with pytest.raises(ConfigError, match="multiples of 8"):
        model(torch.randn(1, 3, 3, 60, 64))
