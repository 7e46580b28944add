"""S-GNANet on each registered image dataset's native-format copy: a 2-step ``train``,
``predict`` on the last split and ``eval`` of the result, through the CLI."""

from __future__ import annotations

import pytest

from vscrowd.datasets import dataset_info

pytest.importorskip("torch")


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore:VGG16 backbone is randomly")
@pytest.mark.parametrize("name", ["nwpu", "shanghaitech_a", "shanghaitech_b", "qnrf", "jhu"])
def test_train_predict_eval(name, tmp_path):
    from tests.datasets.cli_runs import eval_frames, train_and_predict

    root, preds = dataset_info(name).synth(tmp_path / name, seed=2), tmp_path / "p.json"
    split = "val" if name in ("nwpu",) else "test"
    tiles = ("--tile", "64") if name in ("nwpu", "qnrf") else ()  # the giant-image path
    doc = train_and_predict(root, tmp_path / "run", preds, "s-gnanet", split, tiles)
    assert {p["video"] for p in doc["predictions"]} == {split}
    assert eval_frames(root, preds, split) == len(doc["predictions"])
