"""Your own footage in, videos out: frame sources (files, folders, globs, streams),
``predict_video`` (JSON Lines as it runs) and ``render`` (overlays as ``.mp4``).

Names load on first use (see :mod:`vscrowd._lazy`).
"""

from .._lazy import lazy_exports

_EXPORTS = {
    "FrameSource": ".source",
    "RenderResult": ".render",
    "VideoPrediction": ".predict",
    "VideoWriter": ".encode",
    "h264_encoder": ".encode",
    "open_source": ".source",
    "predict_video": ".predict",
    "render_dataset_video": ".render",
    "render_prediction_file": ".render",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "FrameSource",
    "RenderResult",
    "VideoPrediction",
    "VideoWriter",
    "h264_encoder",
    "open_source",
    "predict_video",
    "render_dataset_video",
    "render_prediction_file",
]
