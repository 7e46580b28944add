"""The evaluator's text tables: percentages for ratios, compact numbers, ``n/a`` for an
undefined value in every table (the per-video table printed ``None``)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from vscrowd.eval.text import table_rows


def test_cells():
    df = pd.DataFrame({"video": ["a", "b", "c"], "frames": [3, 1, 2],
                       "MAE": [1.5, np.nan, 0.25], "mAP@5": [0.5, None, np.nan]})
    assert table_rows(df) == [["video", "frames", "MAE", "mAP@5"],
                              ["a", "3", "1.500", "50.00"],
                              ["b", "1", "nan", "n/a"],
                              ["c", "2", "0.250", "n/a"]]


def test_none_and_na_in_an_object_column():
    df = pd.DataFrame({"mAR@20": pd.Series([None, 0.25], dtype=object),
                       "note": pd.Series([pd.NA, "x"], dtype=object)})
    assert table_rows(df)[1:] == [["n/a", "n/a"], ["25.00", "x"]]
