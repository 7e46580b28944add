"""The fused Triton GNA kernel against the PyTorch path.

Without a GPU these run in Triton's CPU interpreter (``TRITON_INTERPRET=1``, set by
``tests/conftest.py`` before the kernel module is imported); on a GPU they run the
compiled kernel on CUDA tensors.
"""

from __future__ import annotations

import math

import pytest
import torch

from vscrowd import ConfigError
from vscrowd.models import build_model, gna
from vscrowd.models.gna import GaussianNeighborhoodAttention as Attention
from vscrowd.models.gna_triton import KernelSampling, gna_triton

DEV = "cuda" if torch.cuda.is_available() else "cpu"
B, C, H, W, M = 2, 8, 6, 7, 3  # the tiny case: 6x7 maps, C = 8, m = 3


def _maps(seed: int = 0, dtype=torch.float32):
    g = torch.Generator().manual_seed(seed)
    x = torch.randn(B, C, H, W, generator=g).to(DEV, dtype).requires_grad_()
    keys = torch.randn(B, M, C, H, W, generator=g).to(DEV, dtype).requires_grad_()
    return x, keys


def _run(module: Attention, x, keys):
    out = module(x, keys)
    weights = torch.linspace(-1, 1, out.numel(), device=out.device).view_as(out)
    grads = torch.autograd.grad((out.float() * weights).sum(), (x, keys))
    return (out, *grads)


def _both(**options) -> tuple[Attention, Attention]:
    return (Attention(C, backend="torch", **options).to(DEV),
            Attention(C, backend="triton", **options).to(DEV))


def _close(a, b, tol=1e-5):
    for u, v in zip(a, b):
        torch.testing.assert_close(u.float(), v.float(), rtol=tol, atol=tol)


def test_given_positions_forward_and_backward_equal_the_torch_path():
    gen = torch.Generator().manual_seed(1)
    fixed = torch.randint(0, H * W, (B * H * W, M, 5), generator=gen).to(DEV)
    ref, fused = _both(n_samples=5)
    for mod in (ref, fused):
        mod.index_sampler = lambda p, h, w: fixed  # one set of positions per key frame
    x, keys = _maps()
    _close(_run(ref, x, keys), _run(fused, x, keys))


def test_one_position_set_for_all_frames_and_self_attention():
    gen = torch.Generator().manual_seed(2)
    fixed = torch.randint(0, H * W, (B * H * W, 4), generator=gen).to(DEV)
    ref, fused = _both(n_samples=4)
    for mod in (ref, fused):
        mod.index_sampler = lambda p, h, w: fixed
    x, _ = _maps()
    out_ref, out = ref(x), fused(x)
    torch.testing.assert_close(out, out_ref, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("border", ["clamp", "reflect"])
def test_local_window_is_deterministic_and_equals_the_torch_path(border):
    ref, fused = _both(sampler="local", window=3, border=border)
    x, keys = _maps(3)
    _close(_run(ref.train(), x, keys), _run(fused.train(), x, keys))


def test_bf16_inputs_accumulate_in_fp32():
    gen = torch.Generator().manual_seed(4)
    fixed = torch.randint(0, H * W, (B * H * W, M, 5), generator=gen).to(DEV)
    x, keys = _maps(5)
    xb, kb = (t.detach().bfloat16().requires_grad_() for t in (x, keys))
    ref, fused = _both(n_samples=5)
    for mod in (ref, fused):
        mod.index_sampler = lambda p, h, w: fixed
    want, got = _run(ref, x, keys), _run(fused, xb, kb)
    assert got[0].dtype == torch.bfloat16
    _close(want, got, tol=3e-2)


def _coordinate_stats(module: Attention, h: int, w: int) -> torch.Tensor:
    """Per query: the mean and variance of the sampled (y, x) around it, read through
    the attention itself (query 0: equal weights; values: y, x, y², x²)."""
    yy, xx = torch.meshgrid(torch.arange(h).float(), torch.arange(w).float(),
                            indexing="ij")
    keys = torch.stack([yy, xx, yy * yy, xx * xx])[None, None].to(DEV)
    with torch.no_grad():
        out = module(torch.zeros(1, 4, h, w, device=DEV), keys)[0].cpu()
    return torch.stack([out[0] - yy, out[1] - xx, out[2] - out[0] ** 2,
                        out[3] - out[1] ** 2])


@pytest.mark.parametrize("sampler,gamma,std", [
    ("gaussian", 2.0, math.sqrt(4 + 1 / 12)),  # round(N(0, γ²)): γ² + 1/12
    ("disk", 1.5, math.sqrt((3 * 1.5 / 2) ** 2 + 1 / 12)),  # disk radius R = 3γ: R/2 per axis
])
def test_in_kernel_sampling_law(sampler, gamma, std):
    module = Attention(4, gammas=(gamma,), n_samples=32, eval_samples=1, sampler=sampler,
                 backend="triton").eval()
    stats = _coordinate_stats(module, 16, 16)[:, 5:11, 5:11]  # no border effects
    mean_y, mean_x = stats[0].mean().item(), stats[1].mean().item()
    sd = math.sqrt((stats[2].mean().item() + stats[3].mean().item()) / 2)
    assert abs(mean_y) < 0.15 and abs(mean_x) < 0.15, (mean_y, mean_x)
    assert abs(sd - std) < 0.12 * std, (sd, std)


@pytest.mark.parametrize("border", ["clamp", "reflect", "resample"])
def test_border_policies_follow_the_torch_law(border):
    """Same law at the border as the PyTorch path: the mean offset of corner and edge
    queries agrees (clamp piles samples on the edge, reflect and resample push them
    further in)."""
    opts = dict(gammas=(2.0,), n_samples=64, eval_samples=1, border=border)
    ref = _coordinate_stats(Attention(4, backend="torch", **opts).eval(), 8, 8)
    got = _coordinate_stats(Attention(4, backend="triton", **opts).eval(), 8, 8)
    for region in ((slice(0, 2), slice(0, 8)), (slice(0, 8), slice(0, 2))):
        a, b = ref[:2][(slice(None), *region)], got[:2][(slice(None), *region)]
        assert torch.allclose(a.mean((1, 2)), b.mean((1, 2)), atol=0.25), (a.mean((1, 2)),
                                                                           b.mean((1, 2)))


def test_positions_stay_on_the_map_and_are_integers():
    """A value map that is 1 on the map: if any sample read off the map (or between
    pixels), the output would not be exactly 1."""
    module = Attention(1, gammas=(4.0,), n_samples=16, border="clamp", backend="triton").eval()
    ones = torch.ones(1, 1, 5, 6, device=DEV)
    out = module(torch.zeros_like(ones), ones)
    assert torch.equal(out, ones)


def test_evaluation_reproducible_per_seed_training_fresh_per_forward():
    x, keys = _maps(6)
    module = Attention(C, gammas=(2.0,), n_samples=4, eval_samples=2,
                 backend="triton").to(DEV).eval()
    with torch.no_grad():
        a, b = module(x, keys), module(x, keys)
        module.eval_seed = 7
        c = module(x, keys)
        module.train()
        d, e = module(x, keys), module(x, keys)
        torch.manual_seed(11)
        f = module(x, keys)
        torch.manual_seed(11)
        g = module(x, keys)
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert not torch.equal(d, e)
    assert torch.equal(f, g)  # a seeded (or resumed) run repeats its draws


@pytest.mark.parametrize("sampler,border", [("gaussian", "reflect"), ("disk", "clamp"),
                                            ("uniform", "clamp")])
def test_finite_difference_gradient_of_the_sampled_kernel(sampler, border):
    """Positions depend on the seed only, so the op is smooth in q, k and v; the
    backward regenerates the forward's positions from the seed (every sampler and
    border policy)."""
    gen = torch.Generator().manual_seed(8)
    q = torch.randn(2 * 3 * 4, 4, generator=gen, dtype=torch.float64)
    k = torch.randn(2 * 2 * 3 * 4, 4, generator=gen, dtype=torch.float64)
    v = torch.randn(2 * 2 * 3 * 4, 4, generator=gen, dtype=torch.float64)
    spec = KernelSampling(sampler, (1.0, 2.0), 3, draws=2, border=border)
    weights = torch.randn(q.shape, generator=gen, dtype=torch.float64)

    def f(q_, k_, v_):
        out = gna_triton(q_.float().to(DEV), k_.float().to(DEV), v_.float().to(DEV), 3, 4,
                         spec, seed=5)
        return (out.double().cpu() * weights).sum()

    leaves = [t.clone().requires_grad_() for t in (q, k, v)]
    grads = torch.autograd.grad(f(*leaves), leaves)
    eps = 1e-2
    for which, grad in enumerate(grads):
        for idx in [(0, 0), (5, 3), (17, 1)]:
            plus = [t.clone() for t in (q, k, v)]
            minus = [t.clone() for t in (q, k, v)]
            plus[which][idx] += eps
            minus[which][idx] -= eps
            numeric = (f(*plus) - f(*minus)).item() / (2 * eps)
            assert abs(numeric - grad[idx].item()) < 2e-3 + 2e-2 * abs(numeric), (
                which, idx, numeric, grad[idx].item())


def test_gnanet_runs_on_the_triton_backend():
    torch.manual_seed(0)
    model = build_model("gnanet", width=1 / 32, n_samples=3, eval_samples=1,
                        backend="triton").to(DEV)
    clip = torch.randn(1, 3, 3, 24, 32, device=DEV)
    out = model(clip)
    out.mean().backward()
    assert out.shape == (1, 1, 24, 32)
    grads = [p.grad for p in model.scene.parameters()]
    assert all(g is not None and torch.isfinite(g).all() for g in grads)


# ---------------------------------------------------------------------- bad input
def test_explicit_triton_refuses_what_the_kernel_does_not_serve():
    x, keys = _maps()
    with pytest.raises(ConfigError, match="torch.float64.*shape"):
        Attention(C, backend="triton")(x.double(), keys.double())
    with pytest.raises(ConfigError, match="one head"):
        Attention(C, heads=2, backend="triton")(x, keys)
    torch.use_deterministic_algorithms(True)
    try:
        with pytest.raises(ConfigError, match="deterministic"):
            Attention(C, backend="triton").train()(x, keys)
    finally:
        torch.use_deterministic_algorithms(False)


def test_a_sampler_without_a_kernel_mode_is_refused_by_name(monkeypatch):
    # A sampler added to choices.Sampler and gna.py but not to the kernel: backend
    # "triton" names it (not a KeyError in the kernel's mode table); the served ones run.
    import vscrowd.models.gna_triton as kernel

    x, keys = _maps()
    monkeypatch.setattr(kernel, "TRITON_SAMPLERS", kernel.TRITON_SAMPLERS - {"disk"})
    with pytest.raises(ConfigError, match="sampler='disk'"):
        Attention(C, sampler="disk", backend="triton").eval()(x, keys)
    Attention(C, sampler="gaussian", backend="triton").eval()(x, keys)


def test_explicit_triton_without_the_package_or_a_device(monkeypatch):
    monkeypatch.setattr(gna, "triton_available", lambda: False)
    with pytest.raises(ConfigError, match="pip install triton"):
        Attention(C, backend="triton")
    monkeypatch.undo()
    monkeypatch.delenv("TRITON_INTERPRET", raising=False)
    x, keys = (t.detach().cpu() for t in _maps())
    with pytest.raises(ConfigError, match="CUDA"):
        Attention(C, backend="triton")(x, keys)
    with pytest.raises(ConfigError, match="expected backend"):
        Attention(C, backend="cuda")


def test_auto_on_cpu_is_the_torch_path(monkeypatch):
    def boom(*a, **k):
        raise AssertionError("the kernel ran")

    monkeypatch.setattr("vscrowd.models.gna_triton.gna_triton", boom)
    x, keys = (t.detach().cpu() for t in _maps())
    auto, ref = Attention(C).eval(), Attention(C, backend="torch").eval()
    assert torch.equal(auto(x, keys), ref(x, keys))
