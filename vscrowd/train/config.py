"""Training configuration: a typed dataclass tree, loadable from YAML/JSON, overridable.

Two presets (``--preset``): ``paper`` is the paper's recipe and nothing else (mini-batch
SGD at a fixed learning rate 2e-6, weighted BCE with pos_weight 50 *summed* over pixels,
batch 16, 30 epochs); ``vscrowd`` (the default) is this project's own recipe (SGD with
momentum, weight decay, lr 1e-2 on a pixel-*averaged* loss, warm-up, cosine decay,
gradient clipping), an empirical choice documented in docs/model.md. Every config
records the preset it came from.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .._optional import optional_module
from .._text import read_text
from ..choices import (
    BACKBONE_NAMES,
    BACKENDS,
    BORDER_POLICIES,
    DEVICES,
    LOSS_REDUCTIONS,
    OPTIMIZERS,
    PRESET_NAMES,
    SCHEDULERS,
    BackboneName,
    Backend,
    BorderPolicy,
    Device,
    LossReduction,
    Optimizer,
    Preset,
    Scheduler,
)
from ..clipwindow import check_clip_length
from ..errors import ConfigError
from ..models.postprocess import (
    DEFAULT_COUNT_THRESHOLD,
    DEFAULT_SCORE_FLOOR,
    NMS_RADIUS,
    PeakRule,
)

__all__ = ["ADAM_DEFAULT_LR", "HOLDOUT", "NO_CUDA", "PAPER_SILENT", "PRESETS", "RESUME_FREE",
           "DataConfig", "ModelConfig", "OptimConfig", "PostConfig", "TrainConfig",
           "config_changes"]


#: ``val_split`` value meaning "a scene-disjoint hold-out of the training videos".
HOLDOUT = "holdout"


@dataclass(frozen=True)
class DataConfig:
    root: str = ""  # dataset root (ROOT/annotations, ROOT/videos)
    # A registered dataset (vscrowd datasets) when the root's layout is ambiguous
    # (ShanghaiTech A/B, a copy matching two layouts); None: detected from the layout.
    dataset: str | None = None
    train_split: str = "train"
    # Validation (and best.pt) set: "holdout" = a deterministic, scene-disjoint share of
    # train_split's videos (taken out of training while validation is on), or a split
    # name. "test" is refused unless select_on_test.
    val_split: str = HOLDOUT
    val_fraction: float = 0.1  # share of training videos held out for validation
    select_on_test: bool = False  # allow val_split "test" (then recorded as such)
    crop: tuple[int, int] = (384, 512)  # training crop (H, W), multiples of 8
    scale: tuple[float, float] = (0.8, 1.2)  # random scale range ((1, 1): none)
    flip: float = 0.5  # probability of a horizontal flip (0: none)
    jitter: float = 0.2  # colour jitter strength (brightness/contrast/saturation; 0: none)
    clip_stride: int = 1  # frames between clip members
    workers: int = 2  # DataLoader worker processes
    cache_frames: int = 16  # decoded-frame LRU cache per worker


@dataclass(frozen=True)
class ModelConfig:
    name: str = "gnanet"  # a vscrowd.models registry name
    width: float = 1.0  # channel multiplier (< 1: reduced-width demo models)
    gammas: tuple[float, ...] | None = None  # None: the variant's (gnanet: 3/5/10)
    n_samples: int = 32  # N keys per query and frame
    eval_samples: int = 3  # T draws averaged at evaluation
    chunk_size: int = 1024  # GNA queries per chunk (lower it if memory is short)
    backbone: BackboneName = "vgg16-10conv"  # the paper's VGG16 front-end; or "vgg16-13conv"
    border: BorderPolicy = "reflect"  # GNA samples off the map: clamp | reflect | resample
    projections: bool = False  # learned 1x1 Q/K/V in GNA (the paper has none)
    backend: Backend = "auto"  # GNA: auto (Triton on CUDA when installed) | triton | torch
    backbone_weights: str | None = None  # torchvision-layout VGG16 checkpoint
    # Free-form options passed to the registered builder as they are (a model's own
    # options beyond the fields above; vscrowd train --model-option KEY=JSON).
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PostConfig:
    """Probability map -> points (vscrowd.models.postprocess; docs/model.md)."""

    score_floor: float = DEFAULT_SCORE_FLOOR  # predictions keep points down to this score
    # Points with score >= this are counted; training replaces it with the threshold
    # that minimises the count MAE on the validation hold-out (recorded in chosen_on).
    count_threshold: float = DEFAULT_COUNT_THRESHOLD
    nms_radius: float = NMS_RADIUS  # output pixels
    chosen_on: str = ""  # how count_threshold was chosen ("": the default, not chosen)


@dataclass(frozen=True)
class OptimConfig:
    optimizer: Optimizer = "sgd"
    lr: float = 1e-2  # empirical, for the pixel-averaged loss (paper preset: 2e-6, summed)
    momentum: float = 0.9
    weight_decay: float = 1e-4
    pos_weight: float = 50.0  # BCE weight of head pixels (paper)
    loss_reduction: LossReduction = "mean"  # over pixels and batch (paper: sum)
    grad_clip: float = 10.0  # max global grad norm (0: off)
    scheduler: Scheduler = "cosine"
    warmup_steps: int = 50

#: The one message for a CUDA device asked for on a machine without one.
NO_CUDA = "expected a CUDA GPU for --device cuda, found none (use --device cpu or auto)"

#: The learning rate used with Adam when none is given (``--optimizer adam``).
ADAM_DEFAULT_LR = 1e-3


@dataclass(frozen=True)
class TrainConfig:
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    post: PostConfig = field(default_factory=PostConfig)
    preset: Preset = "vscrowd"  # the recipe this config started from (PRESETS)
    clip_length: int | None = None  # m; None: the model's (3, or 1 for single-frame ones)
    epochs: int = 30
    max_steps: int | None = None  # stop (and checkpoint) after this many steps
    batch_size: int = 16  # global batch (split across processes under torchrun)
    device: Device = "auto"
    amp: bool = True  # bf16 autocast on CUDA
    channels_last: bool = True  # on CUDA
    # Bit-exact resume on CUDA: deterministic algorithms (cuDNN, cuBLAS, index_add) and
    # the PyTorch GNA backward (the Triton one sums dK/dV with atomics). Slower.
    deterministic: bool = False
    seed: int = 0
    val_every: int = 1  # validate every k epochs (0: never)
    val_max_frames: int | None = None  # cap validation frames (quick checks)
    checkpoint_every: int = 0  # also checkpoint every k steps (0: epoch ends only)
    log_every: int = 10
    resume_changes: tuple[str, ...] = ()  # config changes accepted on --resume (a record)

    # ------------------------------------------------------------------ I/O
    def __post_init__(self) -> None:
        # Validated once, when made (every override, file and preset makes a new one):
        # a TrainConfig that exists is a valid one.
        self.validate()

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_preset(cls, name: str = "vscrowd") -> TrainConfig:
        """The config of a recipe in :data:`PRESETS`.

        >>> TrainConfig.from_preset("paper").optim.lr
        2e-06
        """
        if name not in PRESETS:
            raise ConfigError(f"expected a preset in {sorted(PRESETS)}, got {name!r}")
        return _from_dict(cls, {"preset": name, **PRESETS[name]}, "", cls())

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """Build from a nested dict on top of its ``preset`` (default ``vscrowd``);
        unknown keys and values of the wrong type are errors."""
        if not isinstance(d, dict):
            raise ConfigError(f"expected a mapping, got {type(d).__name__}")
        # "threshold" (vscrowd <= 0.1: a threshold on the 3x3-smoothed map) has no
        # meaning under the current peak rule; such configs get the post defaults.
        d = {k: v for k, v in d.items() if k != "threshold"}
        return _from_dict(cls, d, "", cls.from_preset(d.get("preset", "vscrowd")))

    @classmethod
    def from_file(cls, path: str | Path) -> TrainConfig:
        """Load YAML (``.yaml``/``.yml``, needs PyYAML) or JSON."""
        path = Path(path)
        text = read_text(path, ConfigError, "config file")
        if path.suffix in (".yaml", ".yml"):
            yaml = optional_module("yaml")
            if yaml is None:
                raise ConfigError("YAML configs need PyYAML: pip install pyyaml")
            try:
                d = yaml.safe_load(text) or {}
            except yaml.YAMLError as exc:
                first = " ".join(str(exc).split())  # PyYAML's message spans lines
                raise ConfigError(f"{path}: not valid YAML: {first}") from exc
        else:
            try:
                d = json.loads(text)
            except json.JSONDecodeError as exc:
                raise ConfigError(f"{path}, line {exc.lineno}: not valid JSON: {exc.msg}"
                                  ) from exc
            except RecursionError:
                raise ConfigError(f"{path}: JSON nested too deeply") from None
        if not isinstance(d, dict):
            raise ConfigError(f"{path}: expected a mapping at the top level, got "
                              f"{type(d).__name__}")
        try:
            return cls.from_dict(d)
        except ConfigError as exc:
            raise ConfigError(f"{path}: {exc}") from exc

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
        return _from_dict(TrainConfig, d, "", TrainConfig())

    def validate(self) -> TrainConfig:
        h, w = self.data.crop
        if h % 8 or w % 8 or h <= 0 or w <= 0:
            raise ConfigError(f"expected crop H and W as positive multiples of 8, got {h}x{w}")
        if self.clip_length is not None:
            check_clip_length(self.clip_length, "clip_length")
        if self.batch_size < 1:
            raise ConfigError(f"expected batch_size >= 1, got {self.batch_size}")
        PeakRule(self.post.score_floor, self.post.count_threshold,
                 self.post.nms_radius).validate()
        if not (0 <= self.data.flip <= 1 and self.data.jitter >= 0):
            raise ConfigError(f"expected data.flip in [0, 1] and data.jitter >= 0, got "
                              f"{self.data.flip} and {self.data.jitter}")
        if not self.optim.lr > 0 or self.optim.lr == float("inf"):
            raise ConfigError(f"expected a finite lr > 0, got {self.optim.lr}")
        for name, value, options in (
                ("optimizer", self.optim.optimizer, OPTIMIZERS),
                ("loss_reduction", self.optim.loss_reduction, LOSS_REDUCTIONS),
                ("scheduler", self.optim.scheduler, SCHEDULERS),
                ("device", self.device, DEVICES),
                ("model.backend", self.model.backend, BACKENDS),
                ("model.border", self.model.border, BORDER_POLICIES),
                ("model.backbone", self.model.backbone, BACKBONE_NAMES),
                ("preset", self.preset, PRESET_NAMES)):
            if value not in options:
                raise ConfigError(f"expected {name} in {list(options)}, got {value!r}")
        if self.data.val_split == "test" and not self.data.select_on_test:
            raise ConfigError(
                "refusing to select the model on the test split (val_split 'test'): every "
                "number from such a checkpoint would be tuned on test. Use the default "
                "scene-disjoint hold-out (val_split 'holdout') or a validation split; "
                "--select-on-test forces it and records it in config.json")
        if self.data.dataset is not None:
            from ..datasets.registry import dataset_names

            if self.data.dataset not in dataset_names():
                raise ConfigError(f"expected data.dataset in {dataset_names()} (or None: "
                                  f"detected), got {self.data.dataset!r}")
        if self.data.val_split == self.data.train_split:
            raise ConfigError(f"expected a validation split other than the training split "
                              f"{self.data.train_split!r}")
        return self

    def resolved(self) -> TrainConfig:
        """A copy with the model's defaults filled in (``clip_length``)."""
        from ..models import model_defaults

        if self.clip_length is not None:
            return self
        return replace(self, clip_length=model_defaults(self.model.name).get("clip_length", 3))


#: Options that may differ when a run is resumed: where the data is, how it is loaded,
#: how long to train, how often to validate, log and save. Any other change would make
#: the resumed run a different run than the one the checkpoint belongs to.
RESUME_FREE = frozenset({
    "data.root", "data.dataset", "data.workers", "data.cache_frames", "device", "epochs",
    "max_steps",
    "val_every", "val_max_frames", "checkpoint_every", "log_every", "post.score_floor",
    "post.count_threshold", "post.nms_radius", "post.chosen_on",
    "model.chunk_size", "model.backend", "model.backbone_weights", "deterministic",
    "resume_changes"})


def config_changes(old: TrainConfig, new: TrainConfig) -> list[str]:
    """``"key: old -> new"`` for every option outside :data:`RESUME_FREE` that differs.

    >>> config_changes(TrainConfig(), TrainConfig().override(**{"batch_size": 8, "epochs": 2}))
    ['batch_size: 16 -> 8']
    """
    a, b = _flatten(old.to_dict()), _flatten(new.to_dict())
    return [f"{k}: {a.get(k)!r} -> {b.get(k)!r}" for k in sorted(set(a) | set(b))
            if k not in RESUME_FREE and a.get(k) != b.get(k)]


def _flatten(d: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in d.items():
        if isinstance(v, dict):
            out.update(_flatten(v, f"{prefix}{k}."))
        else:
            out[prefix + k] = tuple(v) if isinstance(v, list) else v
    return out


#: Recipes, as overrides of the dataclass defaults (which are the ``vscrowd`` recipe).
#: What each recipe of choices.Preset sets (tests/train check the two list the same names).
PRESETS: dict[Preset, dict[str, Any]] = {
    "vscrowd": {},
    # What the paper states: "mini-batch stochastic gradient descent at a fixed learning
    # rate 2×10⁻⁶. The batch size is set to 16 ... trained for 30 epochs ... weighted
    # binary cross entropy loss where the positive weight is set to 50". The loss summed
    # over pixels is our reading (the paper is silent; see docs/model.md). Where the
    # paper is silent and a choice can be left out, it is: no rescaling, flip, colour
    # jitter, autocast or hold-out. The crop cannot be left out (batching), so it stays
    # the listed default; every one of these is an option with a switch (PAPER_SILENT).
    "paper": {"batch_size": 16, "epochs": 30, "amp": False, "val_every": 0,
              "data": {"scale": (1.0, 1.0), "flip": 0.0, "jitter": 0.0},
              "optim": {"optimizer": "sgd", "lr": 2e-6, "momentum": 0.0, "weight_decay": 0.0,
                        "pos_weight": 50.0, "loss_reduction": "sum", "grad_clip": 0.0,
                        "scheduler": "none", "warmup_steps": 0}},
}

#: Options the paper says nothing about, with the ``vscrowd train`` switch of each
#: (the ``paper`` preset's values are in its config.json like every other option).
PAPER_SILENT: dict[str, str] = {
    "data.crop": "--crop HxW", "data.scale": "--scale LO,HI", "data.flip": "--flip P",
    "data.jitter": "--jitter S", "amp": "--amp/--no-amp",
    "val_every": "--val-every K (with --val-split: the hold-out)",
    "optim.loss_reduction": "--loss-reduction sum|mean"}


def _from_dict(cls, d: dict[str, Any], prefix: str, base):
    """``base`` (an instance of ``cls``) with the entries of ``d`` replaced, checked
    against the field types: unknown keys and wrong types name the key."""
    if not isinstance(d, dict):
        raise ConfigError(f"expected a mapping for {prefix.rstrip('.') or 'the config'}, "
                          f"got {d!r}")
    known = {f.name: f for f in fields(cls)}
    unknown = sorted(set(d) - set(known))
    if unknown:
        raise ConfigError(f"unknown config key(s) {', '.join(prefix + u for u in unknown)}; "
                          f"expected some of {sorted(known)}")
    kwargs = {}
    for name, value in d.items():
        current = getattr(base, name)
        if dataclasses.is_dataclass(current):
            kwargs[name] = _from_dict(type(current), value, f"{prefix}{name}.", current)
        else:
            kwargs[name] = _coerce(value, known[name], prefix + name)
    return replace(base, **kwargs)


def _coerce(value: Any, f: dataclasses.Field, key: str) -> Any:
    """``value`` checked against the field's annotation (a string under
    ``from __future__ import annotations``); lists become tuples for tuple fields."""
    ann = str(f.type)
    default = (f.default_factory() if f.default_factory is not dataclasses.MISSING
               else f.default)
    if value is None and ("None" in ann):
        return None
    if ann.startswith("tuple") or isinstance(default, tuple):
        if not isinstance(value, (list, tuple)) or not all(
                isinstance(v, (int, float)) and not isinstance(v, bool) for v in value):
            raise ConfigError(f"expected a list of numbers for {key}, got {value!r}")
        return tuple(value)
    if ann.startswith("dict"):
        if not isinstance(value, dict) or not all(isinstance(k, str) for k in value):
            raise ConfigError(f"expected a mapping of option names for {key}, got {value!r}")
        return dict(value)
    if ann.startswith("bool"):
        ok = isinstance(value, bool)
    elif ann.startswith("int"):
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif ann.startswith("float"):
        ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        value = float(value) if ok else value
    else:  # str and Literal[...] of strings
        ok = isinstance(value, str)
    if not ok:
        raise ConfigError(f"expected {ann.split(' |')[0]} for {key}, got {value!r}")
    return value
