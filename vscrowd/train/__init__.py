"""Training and inference (needs the ``torch`` extra). See docs/model.md.

Names load on first use (see :mod:`vscrowd._lazy`); each needs torch, and a missing
torch is one clear error naming the extra. :mod:`vscrowd.train.choices` (presets,
optimisers, loss reductions, schedules) needs no torch.
"""

from .._lazy import lazy_exports
from .._optional import require_torch

_EXPORTS = {
    "DataConfig": ".config",
    "ModelConfig": ".config",
    "OptimConfig": ".config",
    "PostConfig": ".config",
    "TrainConfig": ".config",
    "TrainResult": ".trainer",
    "export_model": ".export",
    "find_checkpoint": ".export",
    "predict": ".predict",
    "train": ".trainer",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS,
                                    before=lambda: require_torch("vscrowd.train"))


__all__ = ["DataConfig", "ModelConfig", "OptimConfig", "PostConfig", "TrainConfig", "TrainResult",
           "export_model", "find_checkpoint", "predict", "train"]
