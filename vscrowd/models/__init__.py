"""GNANet and friends (needs the ``torch`` extra). See docs/model.md.

Names load on first use (see :mod:`vscrowd._lazy`); each needs torch, and a missing
torch is one clear error naming the extra. :mod:`vscrowd.models.choices` (the option
names: samplers, border policies, backends, devices) needs no torch.
"""

from .._lazy import lazy_exports
from .._optional import require_torch

_EXPORTS = {
    "BORDER_POLICIES": ".choices",
    "GNANet": ".gnanet",
    "GNANetConfig": ".gnanet",
    "GaussianNeighborhoodAttention": ".gna",
    "PredictionModule": ".gnanet",
    "VGG16Backbone": ".backbone",
    "build_model": ".registry",
    "dense_attention": ".gna",
    "find_peaks": ".postprocess",
    "from_pretrained": ".pretrained",
    "gaussian_offsets": ".gna",
    "list_models": ".registry",
    "load_backbone_weights": ".backbone",
    "model_defaults": ".registry",
    "register_model": ".registry",
    "save_pretrained": ".pretrained",
}


def _torch_and_builtins() -> None:
    require_torch("vscrowd.models")
    from . import gnanet  # noqa: F401  (registers the built-in models)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, before=_torch_and_builtins)


__all__ = [
    "BORDER_POLICIES",
    "GNANet",
    "GNANetConfig",
    "GaussianNeighborhoodAttention",
    "PredictionModule",
    "VGG16Backbone",
    "build_model",
    "dense_attention",
    "find_peaks",
    "from_pretrained",
    "gaussian_offsets",
    "list_models",
    "load_backbone_weights",
    "model_defaults",
    "register_model",
    "save_pretrained",
]
