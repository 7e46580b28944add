"""``EvaluationResult``: everything ``evaluate`` computed, with ``to_dict()``,
``to_pandas()``, ``str()`` and ``plot()``. Each family's result, JSON entries and text
lines come from its module in :mod:`vscrowd.eval.families`; this module loops over the
registry."""

from __future__ import annotations

import json
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from ..errors import ConfigError, VSCrowdWarning
from .families import FAMILIES
from .families.count import CountingResult
from .families.sigma import LocalizationResult, summary_table
from .families.track import format_tracking
from .text import csv_value
from .vic_groups import format_drnet

__all__ = ["EvaluationResult", "format_tracking"]

TableFormat = Literal["table", "markdown", "csv"]


@dataclass(frozen=True)
class EvaluationResult:
    """Everything ``evaluate`` computed; see docs/metrics.md for definitions.

    Attributes:
        frames, gt_points, pred_points: What was scored.
        results: Family name -> that family's result, for the selected families in
            registry order (``result["name"]`` reads one; the built-in families also
            have named properties: ``localization``, ``counting``, ...).
        notes: Missing frames, points outside their image.
    """

    frames: int
    gt_points: int
    pred_points: int
    results: Mapping[str, Any] = field(default_factory=dict)
    notes: dict[str, Any] = field(default_factory=dict)

    def __getitem__(self, name: str) -> Any:
        """The result of family ``name`` (KeyError: not computed; lists those that were)."""
        try:
            return self.results[name]
        except KeyError:
            raise KeyError(f"family {name!r} was not computed; computed: "
                           f"{list(self.results)}") from None

    @property
    def localization(self) -> tuple[LocalizationResult, ...]:
        return self.results.get("sigma", ())

    @property
    def counting(self) -> CountingResult | None:
        return self.results.get("count")

    @property
    def box_threshold(self) -> tuple:
        return self.results.get("box", ())

    @property
    def distance_ap(self):
        return self.results.get("distance")

    @property
    def idrees(self):
        return self.results.get("idrees")

    @property
    def tracking(self):
        t = self.results.get("track")
        return None if t is None else t.tracking

    @property
    def video_counting(self) -> dict[str, Any] | None:
        t = self.results.get("track")
        return None if t is None else t.video_counting

    @property
    def size_recall(self) -> tuple:
        return self.results.get("size", ())

    @property
    def per_video(self) -> pd.DataFrame | None:
        return self.results.get("video")

    @property
    def bootstrap(self) -> pd.DataFrame | None:
        return self.results.get("bootstrap")

    def sigma(self, sigma: float) -> LocalizationResult:
        """The localization result at ``sigma``."""
        for r in self.localization:
            if r.sigma == sigma:
                return r
        raise KeyError(f"expected sigma in {[r.sigma for r in self.localization]}, "
                       f"got {sigma}")

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict; the keys listed in docs/metrics.md are a stable contract.
        Families that were not computed are absent, not empty."""
        out: dict[str, Any] = {}
        for headline in (True, False):
            for name, result in self.results.items():
                if FAMILIES[name].headline == headline:
                    out.update(FAMILIES[name].to_dict(result))
            if headline:
                out.update(frames=self.frames, gt_points=self.gt_points,
                           pred_points=self.pred_points)
        if self.notes:
            out["notes"] = self.notes
        return out

    def to_json(self, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent)

    def to_pandas(self) -> pd.DataFrame:
        """The paper-shaped table: rows σ; AP.50 AP.75 mAP AR.50 AR.75 mAR."""
        return summary_table(self.localization)

    def format(self, fmt: TableFormat = "table", layout: str = "vscrowd") -> str:
        """Render the summary as an aligned text table, Markdown or CSV; ``layout="drnet"``:
        only the video-counting groups of the ``drnet`` protocol, as DRNet prints them."""
        if layout == "drnet":
            v = (self.video_counting or {}).get("drnet")
            if v is None:
                raise ConfigError("the drnet layout needs video-counting results: "
                                  "predictions with track IDs, or a results file")
            return format_drnet(v.groups())
        if fmt == "csv":
            left = [name for name in self.results if name not in CSV_FAMILIES]
            if left:  # said, not dropped silently (one CSV holds one table's columns)
                warnings.warn(f"--format csv holds the sigma table and the counting row "
                              f"only; not in it: {', '.join(left)} (use --json or "
                              "--format table)", VSCrowdWarning, stacklevel=2)
            return _csv_summary(self.to_pandas(), self.counting)
        if fmt not in ("table", "markdown"):
            raise ValueError(f"expected format table, markdown or csv, got {fmt!r}")
        lines = [line for name, result in self.results.items()
                 for line in FAMILIES[name].lines(result, fmt)]
        lines.append("")
        lines.append(f"frames {self.frames}, GT points {self.gt_points}, "
                     f"predicted points {self.pred_points}")
        if self.notes.get("missing_frames"):
            lines.append(f"note: {self.notes['missing_frames']} frame(s) had no prediction "
                         "record and counted as empty")
        if self.notes.get("points_outside_image"):
            lines.append(f"note: {self.notes['points_outside_image']} predicted point(s) lie "
                         "outside their image (kept)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.format("table")

    def plot(self, out_dir: str | Path, fmt: str = "png") -> list[Path]:
        """Write one precision-recall figure per σ into ``out_dir``."""
        from .pr_curves import plot_pr_curves

        return plot_pr_curves(self.localization, out_dir, fmt=fmt)


#: The families ``format("csv")`` writes: the σ table, then the counting row.
CSV_FAMILIES = ("sigma", "count")


def _csv_summary(loc: pd.DataFrame, counting: CountingResult | None) -> str:
    text = loc.to_csv()
    if counting is not None:
        c = counting
        text += (f"\nMAE,RMSE,NAE,frames\n{csv_value(c.mae)},{csv_value(c.rmse)},"
                 f"{csv_value(c.nae)},{c.frames}\n")
    return text
