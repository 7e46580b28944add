"""Training configuration: a typed dataclass tree, loadable from YAML/JSON, overridable.

Defaults follow the GNANet paper where it says something (clip length 3, γ = 3/5/10,
N = 32, T = 3 at evaluation, weighted BCE with pos_weight 50, batch 16, 30 epochs,
SGD). The paper's learning rate (2e-6) belongs to a loss *summed* over pixels; we
average the loss over pixels (stable across crop and batch sizes), so the learning
rate is larger -- see docs/model.md for the choice.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

from ..errors import ConfigError

__all__ = ["DataConfig", "ModelConfig", "OptimConfig", "TrainConfig"]


@dataclass(frozen=True)
class DataConfig:
    root: str = ""  # dataset root (ROOT/annotations, ROOT/videos)
    train_split: str = "train"
    val_split: str = "test"  # held-out split used for validation and best checkpoint
    crop: tuple[int, int] = (384, 512)  # training crop (H, W), multiples of 8
    scale: tuple[float, float] = (0.8, 1.2)  # random scale range
    clip_stride: int = 1  # frames between clip members
    workers: int = 2  # DataLoader worker processes
    cache_frames: int = 16  # decoded-frame LRU cache per worker


@dataclass(frozen=True)
class ModelConfig:
    name: str = "gnanet"  # a vscrowd.models registry name
    width: float = 1.0  # channel multiplier (< 1: reduced-width demo models)
    gammas: tuple[float, ...] = (3.0, 5.0, 10.0)
    n_samples: int = 32  # N keys per query and frame
    eval_samples: int = 3  # T draws averaged at evaluation
    chunk_size: int = 1024  # GNA queries per chunk (lower it if memory is short)
    backbone_weights: str | None = None  # torchvision-layout VGG16 checkpoint


@dataclass(frozen=True)
class OptimConfig:
    optimizer: Literal["sgd", "adam"] = "sgd"
    lr: float = 1e-2  # for pixel-averaged BCE (the paper's 2e-6 assumed a summed loss)
    momentum: float = 0.9
    weight_decay: float = 1e-4
    pos_weight: float = 50.0  # BCE weight of head pixels (paper)
    grad_clip: float = 10.0  # max global grad norm (0: off)
    scheduler: Literal["cosine", "none"] = "cosine"
    warmup_steps: int = 50


@dataclass(frozen=True)
class TrainConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    clip_length: int = 3  # m (1 for s-gnanet / baseline)
    epochs: int = 30
    max_steps: int | None = None  # stop (and checkpoint) after this many steps
    batch_size: int = 16  # global batch (split across processes under torchrun)
    device: Literal["auto", "cpu", "cuda"] = "auto"
    amp: bool = True  # bf16 autocast on CUDA
    channels_last: bool = True  # on CUDA
    seed: int = 0
    val_every: int = 1  # validate every k epochs (0: never)
    val_max_frames: int | None = None  # cap validation frames (quick checks)
    threshold: float = 0.5  # peak threshold for validation predictions
    checkpoint_every: int = 0  # also checkpoint every k steps (0: epoch ends only)
    log_every: int = 10

    # ------------------------------------------------------------------ I/O
    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """Build from a nested dict; unknown keys are errors."""
        return _from_dict(cls, d, "")

    @classmethod
    def from_file(cls, path: str | Path) -> TrainConfig:
        """Load YAML (``.yaml``/``.yml``, needs PyYAML) or JSON."""
        path = Path(path)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read config {path}: {exc.strerror}") from exc
        if path.suffix in (".yaml", ".yml"):
            try:
                import yaml
            except ImportError as exc:
                raise ConfigError("YAML configs need PyYAML: pip install pyyaml") from exc
            try:
                d = yaml.safe_load(text) or {}
            except yaml.YAMLError as exc:
                raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
        else:
            try:
                d = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path}, line {exc.lineno}: not valid JSON: {exc.msg}"
                                  ) from exc
        if not isinstance(d, dict):
            raise ConfigError(f"{path}: expected a mapping at the top level")
        return cls.from_dict(d)

    def override(self, **dotted: Any) -> TrainConfig:
        """Return a copy with ``{"optim.lr": 0.1, "epochs": 2}``-style overrides."""
        d = self.to_dict()
        for key, value in dotted.items():
            if value is None:
                continue
            node = d
            parts = key.split(".")
            for p in parts[:-1]:
                if p not in node or not isinstance(node[p], dict):
                    raise ConfigError(f"unknown config key {key!r}")
                node = node[p]
            if parts[-1] not in node:
                raise ConfigError(f"unknown config key {key!r}")
            node[parts[-1]] = value
        return TrainConfig.from_dict(d)

    def validate(self) -> TrainConfig:
        h, w = self.data.crop
        if h % 8 or w % 8 or h <= 0 or w <= 0:
            raise ConfigError(f"expected crop H and W as positive multiples of 8, got {h}x{w}")
        if self.clip_length < 1 or self.clip_length % 2 == 0:
            raise ConfigError(f"expected an odd clip_length, got {self.clip_length}")
        if self.batch_size < 1:
            raise ConfigError(f"expected batch_size >= 1, got {self.batch_size}")
        if self.optim.lr <= 0:
            raise ConfigError(f"expected lr > 0, got {self.optim.lr}")
        if self.optim.optimizer not in ("sgd", "adam"):
            raise ConfigError(f"expected optimizer sgd or adam, got {self.optim.optimizer!r}")
        if self.device not in ("auto", "cpu", "cuda"):
            raise ConfigError(f"expected device auto, cpu or cuda, got {self.device!r}")
        return self


def _from_dict(cls, d: dict[str, Any], prefix: str):
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(d) - set(known))
    if unknown:
        raise ConfigError(f"unknown config key(s) {', '.join(prefix + u for u in unknown)}; "
                          f"expected some of {sorted(known)}")
    kwargs = {}
    for name, value in d.items():
        f = known[name]
        default = (f.default_factory() if f.default_factory is not dataclasses.MISSING
                   else f.default)
        if dataclasses.is_dataclass(default):
            if not isinstance(value, dict):
                raise ConfigError(f"expected a mapping for {prefix}{name}, got {value!r}")
            kwargs[name] = _from_dict(type(default), value, f"{prefix}{name}.")
        elif isinstance(default, tuple) and isinstance(value, (list, tuple)):
            kwargs[name] = tuple(value)
        else:
            kwargs[name] = value
    return replace(cls(), **kwargs)
