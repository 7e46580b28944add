from __future__ import annotations

import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from vscrowd import ConfigError, DatasetError
from vscrowd.data import (
    VSCrowdClips,
    VSCrowdImages,
    binary_map,
    collate,
    density_map,
    train_transform,
)
from vscrowd.data.transforms import Clip, RandomCrop, RandomFlip, RandomScale


def test_shapes_and_dtypes(synth_root):
    ds = VSCrowdClips(synth_root, split="train", clip_length=3)
    item = ds[0]
    assert item["frames"].shape == (3, 3, 96, 160) and item["frames"].dtype == torch.float32
    assert item["target"].shape == (1, 96, 160)
    assert item["points"].dtype == torch.float32 and item["points"].shape[1] == 2
    assert item["boxes"].shape == (len(item["points"]), 4)
    assert item["head_ids"].dtype == torch.int64
    # ImageNet normalisation: roughly zero-centred values, not 0..255.
    assert -3 < float(item["frames"].mean()) < 3


def test_middle_frame_is_the_objective_and_border_policy(synth_root):
    ds = VSCrowdClips(synth_root, split="train", clip_length=3, stride=2)
    assert ds.clip_frames(0) == ["0001", "0001", "0003"]  # replicated at the start
    assert ds.clip_frames(2) == ["0001", "0003", "0005"]
    video, frame = ds.objective(2)
    assert ds.clip_frames(2)[1] == frame
    item = ds[2]
    fa = ds.dataset.frame(video, frame)
    np.testing.assert_allclose(item["points"].numpy(), fa.xy, rtol=1e-6)
    skip = VSCrowdClips(synth_root, split="train", clip_length=3, border="skip")
    assert all(len(set(skip.clip_frames(i))) == 3 for i in range(len(skip)))
    assert len(skip) == len(ds) - 2 * 3  # 3 train videos lose first and last frame


def test_same_seed_same_sample(synth_root):
    tf = train_transform((64, 64))
    a = VSCrowdClips(synth_root, transform=tf, seed=5)[3]
    b = VSCrowdClips(synth_root, transform=tf, seed=5)[3]
    assert torch.equal(a["frames"], b["frames"]) and torch.equal(a["points"], b["points"])
    torch.manual_seed(1)
    c = VSCrowdClips(synth_root, transform=tf)[3]
    torch.manual_seed(1)
    d = VSCrowdClips(synth_root, transform=tf)[3]
    assert torch.equal(c["frames"], d["frames"])


def _clip(points):
    frame = np.arange(20 * 30 * 3, dtype=np.uint8).reshape(20, 30, 3)
    pts = np.array(points, float)
    return Clip([frame, frame.copy()], pts, np.column_stack([pts - 1, pts + 1]),
                np.arange(len(pts)))


def test_flip_and_crop_move_points_exactly():
    clip = _clip([[3.5, 4.0], [29.0, 19.5]])
    flipped = RandomFlip(1.0)(clip, np.random.default_rng(0))
    np.testing.assert_allclose(flipped.points, [[26.5, 4.0], [1.0, 19.5]])
    np.testing.assert_allclose(flipped.boxes[0], [25.5, 3.0, 27.5, 5.0])
    assert np.array_equal(flipped.frames[0], clip.frames[0][:, ::-1])
    rng = np.random.default_rng(3)
    cropped = RandomCrop((8, 16))(clip, rng)
    rng = np.random.default_rng(3)
    y0, x0 = int(rng.integers(0, 13)), int(rng.integers(0, 15))
    assert np.array_equal(cropped.frames[1], clip.frames[1][y0:y0 + 8, x0:x0 + 16])
    kept = [(x - x0, y - y0) for x, y in clip.points if 0 <= x - x0 < 16 and 0 <= y - y0 < 8]
    np.testing.assert_allclose(cropped.points.reshape(-1, 2), np.array(kept).reshape(-1, 2))
    assert cropped.offset == (-x0, -y0)


def test_crop_larger_than_frame_pads():
    clip = _clip([[29.9, 19.9]])  # exactly at the border
    out = RandomCrop((32, 40))(clip, np.random.default_rng(0))
    assert out.frames[0].shape == (32, 40, 3)
    np.testing.assert_allclose(out.points, [[29.9, 19.9]])


def test_scale_maps_back_to_original():
    clip = _clip([[10.0, 5.0]])
    s = RandomScale(0.5, 0.5)(clip, np.random.default_rng(0))
    assert s.frames[0].shape == (10, 15, 3)
    orig = (s.points - s.offset) / s.scale
    np.testing.assert_allclose(orig, clip.points)


def test_every_head_on_a_positive_pixel(synth_root):
    ds = VSCrowdClips(synth_root, transform=train_transform((64, 96)), seed=0)
    for i in range(0, len(ds), 3):
        item = ds[i]
        pts = item["points"].numpy()
        t = item["target"][0].numpy()
        ys = np.clip(np.floor(pts[:, 1]).astype(int), 0, t.shape[0] - 1)
        xs = np.clip(np.floor(pts[:, 0]).astype(int), 0, t.shape[1] - 1)
        assert (t[ys, xs] == 1).all()


@pytest.mark.parametrize("kernel,n", [("pixel", 1), ("plus", 5), ("disk", 13)])
def test_binary_kernels(kernel, n):
    m = binary_map(np.array([[10.2, 10.7]]), (20, 20), kernel, radius=2)
    assert m.sum() == n and m[10, 10] == 1


def test_density_sums_match_counts():
    rng = np.random.default_rng(0)
    pts = rng.uniform(20, 108, (30, 2))
    assert density_map(pts, (128, 128), sigma=3).sum() == pytest.approx(30, rel=1e-4)
    ada = density_map(pts, (128, 128), sigma=None)
    assert ada.sum() == pytest.approx(30, rel=1e-3)
    low = density_map(pts, (128, 128), sigma=3, downsample=4)
    assert low.shape == (32, 32) and low.sum() == pytest.approx(30, rel=1e-4)


def test_density_target_through_dataset(synth_root):
    ds = VSCrowdClips(synth_root, target="density", density_sigma=2.0, downsample=8)
    item = ds[0]
    assert item["target"].shape == (1, 12, 20)
    assert float(item["target"].sum()) <= len(item["points"]) + 1e-3


def test_dataloader_with_two_workers(synth_root):
    ds = VSCrowdClips(synth_root, split="train", transform=train_transform((64, 64)), seed=0)
    dl = DataLoader(ds, batch_size=4, num_workers=2, collate_fn=collate)
    batches = list(dl)
    assert sum(len(b["points"]) for b in batches) == len(ds)
    assert batches[0]["frames"].shape == (4, 3, 3, 64, 64)


def test_single_image_mode(synth_root):
    ds = VSCrowdImages(synth_root, split="test")
    item = ds[0]
    assert item["image"].shape == (3, 96, 160) and item["frames"].shape == (1, 3, 96, 160)


def test_bad_input(synth_root, tmp_path):
    with pytest.raises(ConfigError, match="odd"):
        VSCrowdClips(synth_root, clip_length=2)
    with pytest.raises(ConfigError, match="odd"):
        VSCrowdClips(synth_root, clip_length=0)
    with pytest.raises(ConfigError, match="multiples of 8"):
        train_transform((60, 64))
    import shutil

    root = tmp_path / "d"
    shutil.copytree(synth_root, root)
    (root / "videos" / "test_001" / "0002.jpg").unlink()
    with pytest.warns(UserWarning):
        ds = VSCrowdClips(root, split="test", cache_frames=0)
    with pytest.raises(DatasetError, match="0002.jpg"):
        ds[1]


def test_fused_scale_crop_matches_scale_then_crop():
    from vscrowd.data.transforms import RandomScaleCrop

    rng0 = np.random.default_rng(7)
    frame = rng0.integers(0, 255, (60, 90, 3)).astype(np.uint8)
    pts = np.array([[10.0, 20.0], [50.5, 30.25], [89.0, 59.0]])
    clip = Clip([frame], pts, np.column_stack([pts - 2, pts + 2]), np.arange(3))
    for seed in range(5):
        rng_a = np.random.default_rng(seed)
        scaled = RandomScale(0.8, 1.2)(clip, rng_a)
        two = RandomCrop((40, 64))(scaled, rng_a)
        fused = RandomScaleCrop((40, 64), 0.8, 1.2)(clip, np.random.default_rng(seed))
        np.testing.assert_allclose(fused.points, two.points)
        assert fused.offset == pytest.approx(two.offset) and fused.scale == two.scale
        # Same pixels up to interpolation rounding at the borders of the window.
        diff = np.abs(fused.frames[0].astype(int) - two.frames[0].astype(int))
        assert np.median(diff) <= 1 and diff[2:-2, 2:-2].mean() < 2


def test_normalize_matches_reference():
    from vscrowd.data.clips import IMAGENET_MEAN, IMAGENET_STD, normalize

    f = np.random.default_rng(0).integers(0, 255, (5, 7, 3)).astype(np.uint8)
    ref = ((f.astype(np.float32) / 255 - IMAGENET_MEAN) / IMAGENET_STD).transpose(2, 0, 1)
    np.testing.assert_allclose(normalize([f])[0], ref, atol=1e-5)


def test_no_objective_frame_with_full_context_is_an_error(synth_root):
    with pytest.raises(DatasetError, match="no objective frames"):
        VSCrowdClips(synth_root, split="test", clip_length=3, stride=5, border="skip")
