"""GNANet and friends (needs the ``torch`` extra). See docs/model.md."""

from .._optional import require_torch

require_torch("vscrowd.models")

from .backbone import VGG16Backbone, load_backbone_weights  # noqa: E402
from .gna import (  # noqa: E402
    BORDER_POLICIES,
    GaussianNeighborhoodAttention,
    dense_attention,
    gaussian_offsets,
)
from .gnanet import GNANet, GNANetConfig, PredictionModule  # noqa: E402
from .postprocess import find_peaks  # noqa: E402
from .pretrained import from_pretrained, save_pretrained  # noqa: E402
from .registry import build_model, list_models, model_defaults, register_model  # noqa: E402

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
