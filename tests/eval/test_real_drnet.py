"""DRNet's own results re-scored: its saved ``[pred, gt]`` array -> what DRNet printed.

Reads the real files in ``<repo>/../shared/real/`` (sources in the README there; CI
clones the repository next to ``shared/``) and skips when they are absent. Checked: the
MAE and RMSE ("MSE") of every group of ``drnet/sense_result_CFM`` to its two decimals.
Not checked: WRAE, WIAE, WOAE -- the array has no frame counts (WRAE's weights) and no
per-pair flows, and the SenseCrowd annotations that hold them are not among the real
files; vscrowd reports them as ``n/a`` here and says why.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from vscrowd.cli.main import app

from vscrowd.datasets.splits import find_split_files, identify_split, read_split_file
from vscrowd.errors import PredictionFormatError
from vscrowd.eval.vic_files import score_results_file

REAL = Path(__file__).resolve().parents[2] / ".." / "shared" / "real"
DRNET = REAL / "drnet"
LISTS = REAL / "etss05-daanet-sense" / "old_annotations"

pytestmark = pytest.mark.skipif(
    not (DRNET / "15_SENSE_cnt.py.npy").is_file() or not (LISTS / "test.txt").is_file(),
    reason=f"real files from the field not found at {REAL} (CI has them next to the repo)")


def _printed() -> dict[str, dict[str, str]]:
    """DRNet's printout: ``{group: {"MAE": "9.25", "MSE": ..., "WRAE": ...}}``."""
    groups, current = {}, None
    for line in (DRNET / "sense_result_CFM").read_text().splitlines():
        m = re.fullmatch(r"=+ (\w+) =+", line.strip())
        if m:
            current = m.group(1)
            continue
        if current and line.startswith("MAE:"):
            groups[current] = dict(re.findall(r"(\w+): ([\d.]+|nan)", line))
            current = None
    return groups


def test_every_group_of_drnets_printout_from_its_array():
    printed = _printed()
    assert len(printed) == 16  # all, in/out, day/night, scenic0-5, density0-4
    res = CliRunner().invoke(app, ["eval", str(DRNET / "15_SENSE_cnt.py.npy"),
                                   "--splits", str(LISTS), "--json", "-"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.output)
    assert doc["results_file"]["kind"] == "drnet"
    vic = doc["video_counting"]["drnet"]
    assert vic["interval"] == 15 and list(vic["breakdowns"]) == list(printed)
    for group, want in printed.items():
        got = vic["breakdowns"][group]
        assert f"{got['MAE']:.2f}" == want["MAE"], group
        assert f"{got['RMSE']:.2f}" == want["MSE"], group
        assert got["WRAE"] is None  # no frame counts in the array
    assert f"{vic['MAE']:.4f}" == "9.2506" and f"{vic['RMSE']:.4f}" == "16.4880"


def test_drnet_layout_compares_line_by_line():
    res = CliRunner().invoke(app, ["eval", str(DRNET / "15_SENSE_cnt.py.npy"),
                                   "--split-file", str(LISTS / "test.txt"),
                                   "--labels", str(LISTS / "scene_label.txt"),
                                   "--layout", "drnet"])
    assert res.exit_code == 0, res.output
    ours = res.output.splitlines()
    theirs = (DRNET / "sense_result_CFM").read_text().splitlines()[:len(ours)]
    assert len(ours) == 32
    for a, b in zip(ours, theirs):
        assert a.split("  WRAE")[0] == b.split("  WRAE")[0]
    assert ours[1].endswith("WRAE: n/a WIAE: n/a WOAE: n/a")
    md = CliRunner().invoke(app, ["eval", str(DRNET / "15_SENSE_cnt.py.npy"), "--splits",
                                  str(LISTS), "--format", "markdown"]).stdout
    assert "| all | 254 | 9.25 | 16.49 | n/a | n/a | n/a |" in md
    assert "| density4 | 11 | 42.27 | 54.40 | n/a | n/a | n/a |" in md


def test_drnets_lists_are_recognised_and_the_third_party_shuffle_is_not():
    lists = {read_split_file(f)[0]: read_split_file(f)[1] for f in find_split_files(LISTS)}
    assert {k: len(v) for k, v in lists.items()} == {"train": 317, "val": 63, "test": 254}
    assert identify_split(lists).startswith("DRNet's SenseCrowd split")
    # The same lists in VSCrowd names (through a map) are recognised with the map.
    names = {v: f"test_{i:03d}" for i, v in enumerate(v for vs in lists.values() for v in vs)}
    renamed = {k: [names[v] for v in vs] for k, vs in lists.items()}
    assert identify_split(renamed) is None
    assert identify_split(renamed, names) == identify_split(lists)
    other = REAL / "etss05-daanet-sense"
    shuffled = {read_split_file(f)[0]: read_split_file(f)[1] for f in find_split_files(other)}
    assert identify_split(shuffled) is None


def test_a_list_that_does_not_order_the_rows_is_refused_with_the_cause():
    with pytest.raises(PredictionFormatError, match=r"expected a \(42, 2\).*orders its rows"):
        score_results_file(DRNET / "15_SENSE_cnt.py.npy",
                           split_files=[REAL / "etss05-daanet-sense" / "test.txt"])


def test_labels_that_match_nothing_warn():
    # The VSCrowd-renamed label file names none of the SenseCrowd rows: a warning.
    with pytest.warns(UserWarning, match="none of its 634 video names"):
        rep = score_results_file(DRNET / "15_SENSE_cnt.py.npy",
                                 split_files=[LISTS / "test.txt"],
                                 labels_file=REAL / "etss05-daanet-sense" / "scene_label.txt")
    assert rep.results["drnet"].breakdowns == {}


def test_pickled_object_array_is_refused_with_the_reason():
    res = CliRunner().invoke(app, ["eval", str(DRNET / "scene_cnt.py.npy"),
                                   "--split-file", str(LISTS / "test.txt")])
    assert res.exit_code == 2
    assert "pickled Python objects" in res.output and "never unpickles" in res.output
    assert "np.save" in res.output and "Traceback" not in res.output
