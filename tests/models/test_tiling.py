"""Tiled inference (vscrowd/models/tiling.py): tiles with enough context give the
whole-frame output, each call sees at most a tile and its margins, and frames up to a
tile run whole."""

from __future__ import annotations

import warnings

import pytest

torch = pytest.importorskip("torch")

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from vscrowd.choices import check_tile  # noqa: E402
from vscrowd.errors import ConfigError  # noqa: E402
from vscrowd.models import build_model  # noqa: E402
from vscrowd.models.tiling import (  # noqa: E402
    BACKBONE_MARGIN,
    HEAD_MARGIN,
    tiled,
    tiled_forward,
)

_G = torch.Generator().manual_seed(0)
_W1 = torch.randn(4, 3, 3, 3, generator=_G, dtype=torch.float64)
_W2 = torch.randn(2, 4, 3, 3, generator=_G, dtype=torch.float64)


def _convs(x):
    """Two 3x3 convolutions: each output pixel sees 2 px on each side."""
    return torch.nn.functional.conv2d(torch.relu(torch.nn.functional.conv2d(x, _W1,
                                                                             padding=1)),
                                      _W2, padding=1)


def _down8(x):  # a backbone's shape: 1/8 of the input, 8 px blocks
    return torch.nn.functional.avg_pool2d(_convs(x), 8)


def _up8(x):  # a head's shape: 8x the input
    return torch.nn.functional.interpolate(_convs(x), scale_factor=8, mode="nearest")


@settings(max_examples=40, deadline=None)
@given(h=st.integers(1, 9), w=st.integers(1, 9), tile=st.integers(1, 4),
       fn=st.sampled_from([_convs, _down8, _up8]))
def test_tiles_with_enough_context_equal_the_whole(h, w, tile, fn):
    x = torch.randn(1, 3, 8 * h, 8 * w, generator=torch.Generator().manual_seed(h * 10 + w),
                    dtype=torch.float64)
    torch.testing.assert_close(tiled(fn, x, 8 * tile, 8), fn(x), rtol=1e-12, atol=1e-12)


def test_too_little_context_shows_at_the_seams():
    x = torch.randn(1, 3, 32, 32, generator=torch.Generator().manual_seed(1),
                    dtype=torch.float64)
    assert not torch.allclose(tiled(_convs, x, 16, 0), _convs(x))  # the margin matters


def test_each_call_sees_a_tile_and_its_margins_at_most():
    seen = []

    def spy(x):
        seen.append(tuple(x.shape[-2:]))
        return x * 2

    x = torch.arange(40 * 56, dtype=torch.float64).view(1, 1, 40, 56)
    torch.testing.assert_close(tiled(spy, x, 16, 8), x * 2)
    assert len(seen) == 3 * 4 and max(max(s) for s in seen) <= 16 + 2 * 8
    seen.clear()
    tiled(spy, x, 56, 8)
    assert seen == [(40, 56)]  # up to one tile: whole


def _model(name):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return build_model(name, width=0.0625, n_samples=4).eval()


@torch.no_grad()
def test_a_model_without_attention_gives_the_whole_frame_logits():
    torch.manual_seed(0)
    model = _model("baseline-1frame")
    clip = torch.randn(1, 1, 3, 640, 704)  # larger than a head tile and its margins
    calls = {"extract": [], "forward_features": []}

    def spy(fn, seen):
        def call(x):
            seen.append(tuple(x.shape[-2:]))
            return fn(x)
        return call

    for name, seen in calls.items():
        setattr(model, name, spy(getattr(model, name), seen))
    tiled_out = tiled_forward(model, clip, 64)
    big = {k: max(max(c) for c in v) for k, v in calls.items()}
    assert big["extract"] <= 64 + 2 * BACKBONE_MARGIN
    assert big["forward_features"] <= (64 + 2 * HEAD_MARGIN) // 8 < 640 // 8
    torch.testing.assert_close(tiled_out, tiled_forward(model, clip, None), rtol=1e-4,
                               atol=1e-4)


@torch.no_grad()
def test_gnanet_runs_in_tiles_and_frames_up_to_a_tile_run_whole():
    model = _model("gnanet")
    clip = torch.randn(1, 3, 3, 96, 128)
    out = tiled_forward(model, clip, 64)
    assert out.shape == (1, 1, 96, 128) and torch.isfinite(out).all()
    torch.testing.assert_close(tiled_forward(model, clip, 128), model(clip))


@pytest.mark.parametrize("bad", [0, -8, 12, 8.0, True])
def test_tile_sizes_are_positive_multiples_of_8(bad):
    assert check_tile(None) is None and check_tile(16) == 16
    with pytest.raises(ConfigError, match="positive multiple of 8"):
        check_tile(bad)
