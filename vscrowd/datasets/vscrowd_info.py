"""The registry entry of VSCrowd itself (the reader is :class:`vscrowd.VSCrowd`)."""

from __future__ import annotations

from pathlib import Path

from .info import DatasetInfo
from .vscrowd import VSCrowd

__all__ = ["INFO"]


def detect(root: Path) -> bool:
    folder = root / "annotations"
    return folder.is_dir() and next(folder.glob("*.txt"), None) is not None


INFO = DatasetInfo(
    name="vscrowd", title="VSCrowd", kind="video", images=62_938, heads=2_344_276,
    splits={"train": 497, "test": 137}, resolution="up to 1920x1080",
    paper_tables="II, X, XII-XIV (the benchmark)",
    source="https://github.com/HopLee6/VSCrowd-Dataset",
    licence="see the dataset README (research use)",
    expects="annotations/<video>.txt and videos/<video>/<FrameID>.jpg",
    facts_source="the GNANet paper, Sec. III and Table I (splits are videos)",
    detect=detect, read=lambda root: VSCrowd(root))  # synth: vscrowd.synth
