"""Issue 31, items 8, 11 (model options) and 12: a model folder's config.json is checked
for types and ranges and sized against the weights' header before anything is
allocated; the model card escapes what it copies."""

from __future__ import annotations

import json
import resource
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from vscrowd.cli.main import app

from vscrowd.errors import CheckpointError

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.filterwarnings("ignore:VGG16 backbone is randomly")


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory) -> Path:
    from vscrowd.models import build_model, save_pretrained

    net = build_model("baseline", width=0.05)
    return save_pretrained(net, tmp_path_factory.mktemp("m") / "m", name="baseline",
                           options={"width": 0.05})


def _with_options(model_dir: Path, tmp: Path, **options) -> Path:
    out = tmp / "m"
    shutil.copytree(model_dir, out)
    doc = json.loads((out / "config.json").read_text())
    doc["model"]["options"].update(options)
    (out / "config.json").write_text(json.dumps(doc))
    return out


@pytest.mark.parametrize(("options", "says"), [
    ({"width": "abc"}, "width"), ({"heads": 0}, "heads"), ({"gammas": "abc"}, "gammas"),
    ({"n_samples": 1e12}, "n_samples"), ({"n_samples": 10**12}, "n_samples"),
    ({"width": 1e6}, "width"), ({"chunk_size": 2**24, "n_samples": 65_536}, "chunk_size"),
    ({"projections": "yes"}, "projections"),
])
def test_wrong_options_are_one_clear_error(model_dir, tmp_path, options, says):
    from vscrowd.models import from_pretrained

    with pytest.raises(CheckpointError, match=f"config.json: .*{says}"):
        from_pretrained(_with_options(model_dir, tmp_path, **options))


def test_a_wider_model_than_its_weights_is_refused_before_allocation(model_dir, tmp_path):
    from vscrowd.models import from_pretrained

    folder = _with_options(model_dir, tmp_path, width=10.0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(CheckpointError, match="does not fit .*nothing allocated"):
        from_pretrained(folder)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 500  # width 10 would allocate > 3 GB


def test_predict_with_bad_options_exits_2_in_one_line(model_dir, tmp_path):
    folder = _with_options(model_dir, tmp_path, heads=0)
    res = CliRunner().invoke(app, ["predict", str(folder), "--data", str(tmp_path),
                                   "--out", str(tmp_path / "p.json")])
    assert res.exit_code == 2 and "Traceback" not in res.output, res.output
    assert [ln for ln in res.stderr.splitlines() if ln.startswith("error:")]


def test_a_deeply_nested_config_json_is_one_clear_error(model_dir, tmp_path):
    from vscrowd.models import from_pretrained

    out = tmp_path / "m"
    shutil.copytree(model_dir, out)
    (out / "config.json").write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(CheckpointError, match="config.json.*nested too deeply"):
        from_pretrained(out)


def test_a_deeply_nested_training_config_is_one_clear_line(tmp_path):
    (tmp_path / "c.json").write_text("[" * 100_000 + "]" * 100_000)
    res = CliRunner().invoke(app, ["train", "--data", str(tmp_path), "--out",
                                   str(tmp_path / "run"), "--config", str(tmp_path / "c.json")])
    assert res.exit_code == 2 and "nested too deeply" in res.stderr, res.output
