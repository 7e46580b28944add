"""``predict(checkpoint, data)``: leaderboard predictions for every objective frame.

Per-frame backbone features are computed once and reused by every clip that contains
the frame (a sliding window over each video), so inference costs one backbone pass
per frame whatever the clip length.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch

from ..choices import TILE, check_tile
from ..clipwindow import clip_window
from ..data.clips import IMAGENET_MEAN, IMAGENET_STD
from ..datasets.image_file import read_image
from ..datasets.vscrowd import VSCrowd
from ..errors import CheckpointError, ConfigError
from ..eval import Predictions, write_predictions
from ..models import find_peaks
from ..models.amp import autocast
from ..models.postprocess import PeakRule
from ..models.pretrained import (
    CONFIG_NAME,
    WEIGHTS_NAME,
    from_pretrained,
    load_pretrained_config,
    resolve_pretrained,
)
from ..models.state import load_state_strict
from ..models.tiling import tiled_features, tiled_logits
from .checkpoint import load_checkpoint
from .config import NO_CUDA, TrainConfig
from .export import find_checkpoint

__all__ = ["clip_logits", "frame_features", "frame_input", "load_trained_model", "peak_rule",
           "predict"]


def load_trained_model(source: str | Path, device: str | torch.device = "cpu"
                       ) -> tuple[torch.nn.Module, TrainConfig, Path]:
    """(model in eval mode, its TrainConfig, the file or folder loaded) from a training
    checkpoint, a run folder (``best.pt``, else ``last.pt``), a folder written by
    ``vscrowd export`` or a Hugging Face repo id holding one."""
    import warnings

    from .building import build_model_from_config

    path = Path(source)
    if (path.suffix in (".pt", ".pth") or path.is_file()
            or (path.is_dir() and not (path / WEIGHTS_NAME).is_file())):
        ckpt_path = find_checkpoint(path)
        ckpt = load_checkpoint(ckpt_path)
        cfg = TrainConfig.from_dict(ckpt["config"])
        with warnings.catch_warnings():  # weights come from the checkpoint, not ImageNet
            warnings.simplefilter("ignore", UserWarning)
            model = build_model_from_config(cfg.override(**{"model.backbone_weights": None}))
        load_state_strict(model, ckpt["model"], ckpt_path)
        return model.to(device).eval(), cfg, ckpt_path
    folder = resolve_pretrained(source)
    config = load_pretrained_config(folder)
    if not isinstance(config.get("train_config"), dict):
        raise CheckpointError(f"{folder / CONFIG_NAME} has no \"train_config\" (clip length "
                              "and stride are needed to predict); export it with vscrowd "
                              "export")
    try:
        cfg = TrainConfig.from_dict(config["train_config"])
    except ConfigError as exc:
        raise CheckpointError(f"{folder / CONFIG_NAME}: {exc}") from exc
    return from_pretrained(folder, device=device), cfg, folder


def _load_frame(path: Path) -> tuple[np.ndarray, tuple[int, int]]:
    return frame_input(read_image(path))


def frame_input(img: np.ndarray) -> tuple[np.ndarray, tuple[int, int]]:
    """A BGR uint8 frame ``(h, w, 3)`` -> the model's input: float32 ``(3, H, W)``, RGB,
    ImageNet-normalised, padded bottom/right to multiples of 8; and ``(h, w)``."""
    x = cv2.cvtColor(img, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
    x = (x - IMAGENET_MEAN) / IMAGENET_STD
    h, w = x.shape[:2]
    x = np.pad(x, ((0, (-h) % 8), (0, (-w) % 8), (0, 0)))  # eval padding: bottom/right
    return np.ascontiguousarray(x.transpose(2, 0, 1)), (h, w)


def peak_rule(cfg: TrainConfig, threshold: float | None = None,
              score_floor: float | None = None) -> PeakRule:
    """The model's post-processing (stored in its config: ``post``), with the given
    overrides: ``score_floor`` (lowest score predicted) and ``threshold`` (count
    threshold)."""
    p = cfg.post
    return PeakRule(p.score_floor if score_floor is None else float(score_floor),
                    p.count_threshold if threshold is None else float(threshold),
                    p.nms_radius).validate()


def frame_features(model, x: torch.Tensor, tile: int | None = TILE) -> torch.Tensor:
    """What prediction keeps of one frame ``x`` ``(1, 3, H, W)`` while the clip window
    slides: the model's per-frame features when it has ``extract`` (GNANet: the
    backbone, computed once a frame, in tiles of ``tile`` px on frames with a longer
    side: :mod:`vscrowd.models.tiling`), else the frame itself."""
    return tiled_features(model, x, tile)[0] if hasattr(model, "extract") else x[0]


def clip_logits(model, clip: torch.Tensor, tile: int | None = TILE) -> torch.Tensor:
    """Logits ``(1, 1, H, W)`` of a clip of :func:`frame_features` ``(1, m, ...)``:
    ``forward_features`` where the model splits its forward pass, else the model
    itself on the clip of frames (any registered model); in tiles of ``tile`` px of
    the frame where a side is longer (None: whole frames)."""
    return tiled_logits(model, clip, tile)


def _predict_video(model, ds: VSCrowd, video: str, m: int, stride: int, ctx, device,
                   rule: PeakRule, tile: int | None) -> list[dict]:
    """Slide over one video, computing each frame's backbone features once."""
    frames = [fa.frame for fa in ds.iter_frames(video)]
    half = m // 2
    feats: OrderedDict[int, torch.Tensor] = OrderedDict()
    size = None
    records = []
    for c in range(len(frames)):
        idx = clip_window(len(frames), c, m, stride)
        for i in idx:
            if i not in feats:
                path = ds.image_path(video, frames[i])
                x, hw = _load_frame(path)
                size = size or hw
                with ctx:
                    feats[i] = frame_features(model, torch.from_numpy(x)[None].to(device),
                                              tile)
        for old in [k for k in feats if k < c - half * stride]:
            del feats[old]  # the window has moved past it
        clip = torch.stack([feats[i] for i in idx])[None]
        with ctx:
            prob = torch.sigmoid(clip_logits(model, clip, tile).float())
        pts = find_peaks(prob, rule.score_floor, size=size, radius=rule.radius)[0]
        records.append({"video": video, "frame": frames[c],
                        "points": pts.cpu().double().numpy()})
    return records


@torch.no_grad()
def predict(checkpoint: str | Path, data: str | Path | VSCrowd, *, split: str | None = "test",
            out: str | Path | None = None, threshold: float | None = None,
            score_floor: float | None = None,
            device: str | torch.device = "cpu", amp: bool = True,
            progress: Callable[[str], None] | None = None, eval_samples: int | None = None,
            eval_seed: int | None = None, tile: int | None = TILE) -> Predictions:
    """Predict head points for every frame of ``split`` (and write ``out`` if given).

    Every peak scoring at least the score floor is predicted (the model's
    ``post.score_floor`` unless ``score_floor`` is given), so that σ-AP sees the whole
    precision-recall curve; count with the model's count threshold (``threshold``
    overrides it; see :func:`peak_rule`), e.g. ``evaluate(..., count_threshold=...)``.
    The method name records both. ``eval_samples`` (T) and ``eval_seed`` override the
    model's GNA evaluation sampling. Frames with a side longer than ``tile`` px run in
    overlapping tiles of that size (bounded memory on giant images; None: whole
    frames; :mod:`vscrowd.models.tiling`).
    """
    check_tile(tile)
    device = torch.device(device)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(NO_CUDA)
    model, cfg, loaded = load_trained_model(checkpoint, device)
    if eval_samples is not None or eval_seed is not None:
        if not hasattr(model, "set_eval_sampling"):
            raise ConfigError(f"model {cfg.model.name!r} has no GNA evaluation sampling to "
                              "set (eval_samples, eval_seed)")
        model.set_eval_sampling(eval_samples, eval_seed)
    if not isinstance(data, VSCrowd):
        from ..datasets.registry import open as open_registered  # any registered layout

        data = open_registered(data)
    ds = data
    if split is not None:
        ds = ds.select(split=split)
    m, stride = cfg.clip_length, cfg.data.clip_stride
    ctx = autocast(device, amp)
    rule = peak_rule(cfg, threshold, score_floor)
    records = []
    for video in ds.videos["video"]:
        records += _predict_video(model, ds, video, m, stride, ctx, device, rule, tile)
        if progress:
            progress(video)
    preds = Predictions.from_records(records, method=(  # arrays: no object per point
        f"{cfg.model.name} ({loaded}; score floor {rule.score_floor:g}, count threshold "
        f"{rule.count_threshold:g})"))
    if out is not None:
        write_predictions(preds, out)
    return preds
