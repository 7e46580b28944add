"""Seeded synthetic datasets written in the official layouts (VSCrowd, SenseCrowd naming):
the demo's, the tests' and the benchmarks' data. Names load on first use.
"""

from .._lazy import lazy_exports

_EXPORTS = {
    "MANIFEST": ".generator",
    "SynthConfig": ".generator",
    "sensecrowd_names": ".sensecrowd",
    "synthesize": ".generator",
    "synthesize_sensecrowd": ".sensecrowd",
    "video_names": ".generator",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

__all__ = [
    "MANIFEST",
    "SynthConfig",
    "sensecrowd_names",
    "synthesize",
    "synthesize_sensecrowd",
    "video_names",
]
