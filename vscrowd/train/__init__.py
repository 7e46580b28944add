"""Training and inference (needs the ``torch`` extra). See docs/model.md."""

from .._optional import require_torch

require_torch("vscrowd.train")

from .config import DataConfig, ModelConfig, OptimConfig, PostConfig, TrainConfig  # noqa: E402
from .export import export_model, find_checkpoint  # noqa: E402
from .predict import predict  # noqa: E402
from .trainer import TrainResult, train  # noqa: E402

__all__ = ["DataConfig", "ModelConfig", "OptimConfig", "PostConfig", "TrainConfig", "TrainResult",
           "export_model", "find_checkpoint", "predict", "train"]
