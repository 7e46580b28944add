"""Accumulator classes for training loops (torchmetrics style, no torch needed).

``update()`` takes one frame at a time and returns ``self``; ``compute()`` runs the
same core as :func:`~vscrowd.eval.evaluate` (``core.score``); ``reset()`` clears the state.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..points import Points
from .core import EvalOptions, score
from .families import DEFAULT_SIGMAS
from .groundtruth import GroundTruth
from .results import EvaluationResult

__all__ = ["LocalizationMetric"]


class LocalizationMetric:
    """Accumulates (prediction, ground truth) pairs frame by frame.

    Example:
        >>> m = LocalizationMetric(sigmas=[5])
        >>> _ = m.update([[10, 10, 0.9]], [[11, 10]]).update([], [[50, 50]])
        >>> r = m.compute()
        >>> r.sigma(5).mar, r.counting.mae
        (0.5, 0.5)
    """

    def __init__(self, sigmas: Iterable[float] = DEFAULT_SIGMAS, count_threshold: float = 0.5,
                 metrics: Iterable[str] = ("sigma", "count")) -> None:
        self.sigmas = tuple(float(s) for s in sigmas)
        self.count_threshold = count_threshold
        self.metrics = tuple(metrics)
        self.options = EvalOptions(sigmas=self.sigmas, metrics=self.metrics,
                                   count_threshold=count_threshold)
        self.reset()

    def reset(self) -> LocalizationMetric:
        """Forget all accumulated frames."""
        self._keys: list[tuple[str, str]] = []
        self._pred: list[np.ndarray] = []
        self._gt: list[np.ndarray] = []
        self._boxes: list[np.ndarray] = []
        return self

    def update(self, pred, gt, *, boxes=None, video: str = "", frame: str | None = None
               ) -> LocalizationMetric:
        """Add one frame.

        Args:
            pred: ``(N, 2)`` points or ``(N, 3)`` points with score (array-like).
            gt: ``(M, 2)`` ground-truth head centers.
            boxes: Optional ``(M, 4)`` GT boxes (for box-threshold/size metrics).
            video, frame: Identifiers (default: running frame number).
        """
        p = np.asarray(pred, np.float64).reshape(-1, np.shape(pred)[-1] if len(pred) else 3)
        if p.shape[1] == 2:
            p = np.column_stack([p, np.ones(len(p))])
        g = np.asarray(gt, np.float64).reshape(-1, 2)
        b = (np.column_stack([g, g]) if boxes is None
             else np.asarray(boxes, np.float64).reshape(-1, 4))
        self._keys.append((video, str(len(self._keys)) if frame is None else str(frame)))
        self._pred.append(p)
        self._gt.append(g)
        self._boxes.append(b)
        return self

    def compute(self) -> EvaluationResult:
        """Score everything accumulated since the last reset."""
        n = len(self._keys)
        counts_g = [len(g) for g in self._gt]
        counts_p = [len(p) for p in self._pred]
        frames = pd.DataFrame({"video": [k[0] for k in self._keys],
                               "frame": [k[1] for k in self._keys],
                               "width": np.nan, "height": np.nan})
        gt = GroundTruth.from_arrays(frames, np.repeat(np.arange(n), counts_g),
                                     np.concatenate(self._gt) if n else np.empty((0, 2)),
                                     np.concatenate(self._boxes) if n else np.empty((0, 4)))
        table = np.concatenate(self._pred) if n else np.empty((0, 3))
        # The frames are one table already: the core scores it directly (no FrameID
        # matching by name, so repeated or missing identifiers are harmless).
        dt = Points(frames, np.repeat(np.arange(n), counts_p), table[:, :2], table[:, 2])
        return score(gt, dt, self.options)
