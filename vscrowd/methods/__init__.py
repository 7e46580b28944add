"""Training-free reference methods: a background-subtraction head detector and a point
tracker (no torch). Names load on first use.
"""

from .._lazy import lazy_exports

_EXPORTS = {
    "TrackerConfig": ".tracker",
    "background_blobs": ".baselines",
    "track_points": ".tracker",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "TrackerConfig",
    "background_blobs",
    "track_points",
]
