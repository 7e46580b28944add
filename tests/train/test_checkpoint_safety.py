"""Checkpoints are data, never code: crafted pickles never run; export/from_pretrained."""

from __future__ import annotations

import ast
import json
import os
import pickle
import shutil
import zipfile
from pathlib import Path

import pytest
import torch
from click.testing import CliRunner
from vscrowd.cli.main import app

from vscrowd import CheckpointError
from vscrowd.models import build_model, from_pretrained
from vscrowd.train import TrainConfig, export_model, predict, train
from vscrowd.train.checkpoint import CHECKPOINT_FORMAT, load_checkpoint, save_checkpoint

pytestmark = pytest.mark.filterwarnings("ignore:VGG16 backbone is randomly")
PACKAGE = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------ crafted pickles
class _SystemPayload:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


class _EvalPayload:
    """What a pickled lambda/function amounts to: a global callable run on load."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (eval, (f"open({str(self.marker)!r}, 'w').close()",))


class _ForeignGlobal:
    """A global from an arbitrary module (this test module)."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _craft(kind: str, path: Path, marker: Path) -> Path:
    payload = {"system": _SystemPayload, "eval": _EvalPayload,
               "foreign": _ForeignGlobal}[kind.split("-")[0]](marker)
    doc = {"format": CHECKPOINT_FORMAT, "model": {}, "config": {}, "x": payload}
    if kind.endswith("-raw"):  # a plain pickle file, not torch's zip container
        path.write_bytes(pickle.dumps(doc, protocol=2))
    else:
        torch.save(doc, path)
    return path


KINDS = ["system", "eval", "foreign", "system-raw"]


@pytest.mark.parametrize("kind", KINDS)
def test_library_load_refuses_crafted_pickles(kind, tmp_path):
    marker = tmp_path / "PWNED"
    evil = _craft(kind, tmp_path / "evil.pt", marker)
    with pytest.raises(CheckpointError, match="refused: loading it would need the Python "
                                              "global"):
        load_checkpoint(evil)
    assert not marker.exists()
    # The control: the same file does run its payload under an unrestricted load, so
    # the test above would see the marker if vscrowd unpickled it.
    if kind == "system":
        torch.load(evil, weights_only=False)
        assert marker.exists()


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("command", ["predict", "resume", "export"])
def test_cli_refuses_crafted_pickles(kind, command, synth_root, tmp_path):
    marker = tmp_path / "PWNED"
    if command == "resume":
        run = tmp_path / "run"
        run.mkdir()
        _craft(kind, run / "last.pt", marker)
        args = ["train", "--data", str(synth_root), "--out", str(run), "--resume",
                "--device", "cpu", "--workers", "0"]
    else:
        evil = _craft(kind, tmp_path / "evil.pt", marker)
        args = (["predict", str(evil), "--data", str(synth_root), "--out",
                 str(tmp_path / "p.json"), "--device", "cpu"] if command == "predict"
                else ["export", str(evil), "--out", str(tmp_path / "exported")])
    res = CliRunner().invoke(app, args)
    assert res.exit_code == 2, res.output
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and "refused" in lines[0] and "Traceback" not in res.output
    assert not marker.exists()


def test_every_torch_load_passes_weights_only_true():
    """A guard: any torch.load in the package without weights_only=True fails here."""
    offenders = []
    for path in [*(PACKAGE / "vscrowd").rglob("*.py"), *(PACKAGE / "cli").rglob("*.py")]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "load" and isinstance(node.func.value, ast.Name)
                    and node.func.value.id == "torch"):
                kw = {k.arg: k.value for k in node.keywords}
                ok = isinstance(kw.get("weights_only"), ast.Constant) and \
                    kw["weights_only"].value is True
                if not ok:
                    offenders.append(f"{path.relative_to(PACKAGE)}:{node.lineno}")
    assert offenders == []


def test_checkpoint_validation_errors(tmp_path):
    p = tmp_path / "c.pt"
    torch.save({"format": CHECKPOINT_FORMAT, "model": {}}, p)
    with pytest.raises(CheckpointError, match=r"lacks checkpoint key\(s\) \['config'\]"):
        load_checkpoint(p)
    torch.save({"format": CHECKPOINT_FORMAT, "model": [], "config": {}}, p)
    with pytest.raises(CheckpointError, match="model .expected dict, got list"):
        load_checkpoint(p)
    torch.save({"format": "vscrowd-checkpoint-99", "vscrowd_version": "9.0"}, p)
    with pytest.raises(CheckpointError, match="newer vscrowd"):
        load_checkpoint(p)
    torch.save({"format": "vscrowd-checkpoint-1"}, p)
    with pytest.raises(CheckpointError, match="older vscrowd"):
        load_checkpoint(p)
    torch.save({"format": "something-else"}, p)
    with pytest.raises(CheckpointError, match="not a vscrowd checkpoint"):
        load_checkpoint(p)


def test_save_refuses_non_plain_payload(tmp_path):
    with pytest.raises(TypeError, match="not plain data"):
        save_checkpoint(tmp_path / "c.pt", {"x": zipfile.ZipInfo()})
    assert not (tmp_path / "c.pt").exists()


def test_resume_with_missing_keys_is_a_checkpoint_error(synth_root, tmp_path):
    run = tmp_path / "run"
    save_checkpoint(run / "last.pt", {"model": {}, "config": {}, "model_name": "gnanet"})
    cfg = _cfg(synth_root, max_steps=1)
    with pytest.raises(CheckpointError, match=r"lacks checkpoint key\(s\) \['optimizer'"):
        train(cfg, run, resume=True)


# ------------------------------------------------------------------ export / from_pretrained
def _cfg(root, **kw) -> TrainConfig:
    base = {"data.root": str(root), "data.crop": (64, 96), "data.workers": 0,
            "model.name": "gnanet", "model.width": 0.0625, "model.n_samples": 4,
            "model.eval_samples": 1, "batch_size": 4, "val_every": 1, "val_max_frames": 2,
            "optim.optimizer": "adam", "optim.lr": 2e-3, "epochs": 1}
    base.update(kw)
    return TrainConfig().override(**base)


@pytest.fixture(scope="module")
def trained_run(synth_root, tmp_path_factory) -> Path:
    run = tmp_path_factory.mktemp("export") / "run"
    train(_cfg(synth_root), run)
    return run


def _clip(seed: int = 0) -> torch.Tensor:
    return torch.randn(1, 3, 3, 64, 96, generator=torch.Generator().manual_seed(seed))


def test_export_round_trip_identical_outputs(trained_run, tmp_path):
    folder = export_model(trained_run, tmp_path / "m")
    assert sorted(p.name for p in folder.iterdir()) == ["README.md", "config.json",
                                                         "model.safetensors"]
    config = json.loads((folder / "config.json").read_text())
    assert config["model"]["name"] == "gnanet"
    assert config["training"]["checkpoint"] == "best.pt"
    assert config["validation"]["mAP@20"] is not None
    card = (folder / "README.md").read_text()
    assert "## Results" in card
    # The thresholds travel with the model, and the card says how they were chosen.
    post = config["train_config"]["post"]
    assert post["chosen_on"].startswith("NMS radius") and "best.pt" in post["chosen_on"]
    assert "minimum count MAE" in post["chosen_on"]
    assert f"count threshold: {post['count_threshold']:g}" in card and post["chosen_on"] in card
    original = from_pretrained(folder)  # weights as exported
    ckpt = load_checkpoint(trained_run / "best.pt")
    ref = build_model("gnanet", **config["model"]["options"]).eval()
    ref.load_state_dict(ckpt["model"])
    with torch.no_grad():
        assert torch.equal(original(_clip()), ref(_clip()))


def test_export_bf16_within_tolerance(trained_run, tmp_path):
    fp32 = from_pretrained(export_model(trained_run, tmp_path / "a"))
    bf16 = from_pretrained(export_model(trained_run, tmp_path / "b", dtype="bf16"))
    size = (tmp_path / "b" / "model.safetensors").stat().st_size
    assert size < 0.6 * (tmp_path / "a" / "model.safetensors").stat().st_size
    with torch.no_grad():
        a, b = torch.sigmoid(fp32(_clip(1))), torch.sigmoid(bf16(_clip(1)))
    assert torch.allclose(a, b, atol=2e-2) and not torch.equal(a, b)


def test_predict_accepts_checkpoint_run_folder_and_export(trained_run, synth_root, tmp_path):
    folder = export_model(trained_run / "best.pt", tmp_path / "m")
    outs = [predict(src, synth_root, score_floor=0.005)
            for src in (trained_run / "best.pt", trained_run, folder)]
    assert all(list(o.records()) == list(outs[0].records()) for o in outs[1:])
    assert len(outs[0]) > 0
    assert "best.pt" in outs[1].method


def _fake_hub(monkeypatch, folder: Path, calls: list):
    import huggingface_hub

    def snapshot_download(**kwargs):
        calls.append(kwargs)
        if kwargs["repo_id"] == "someone/missing":
            raise huggingface_hub.errors.RepositoryNotFoundError("404 Client Error")
        dest = folder.parent / "hub-cache"
        shutil.copytree(folder, dest, dirs_exist_ok=True)
        return str(dest)

    monkeypatch.setattr(huggingface_hub, "snapshot_download", snapshot_download)


def test_from_pretrained_hub_repo_id(trained_run, tmp_path, monkeypatch):
    folder = export_model(trained_run, tmp_path / "m")
    calls: list = []
    _fake_hub(monkeypatch, folder, calls)
    model = from_pretrained("someone/gnanet-vscrowd", revision="v1")
    assert calls == [{"repo_id": "someone/gnanet-vscrowd", "revision": "v1",
                      "allow_patterns": ["model.safetensors", "config.json", "README.md"]}]
    with torch.no_grad():
        assert torch.equal(model(_clip()), from_pretrained(folder)(_clip()))
    with pytest.raises(CheckpointError, match="cannot download model 'someone/missing'"):
        from_pretrained("someone/missing")


def test_pretrained_bad_inputs(trained_run, tmp_path):
    folder = export_model(trained_run, tmp_path / "m")
    weights = folder / "model.safetensors"
    data = weights.read_bytes()
    weights.write_bytes(data[: len(data) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        from_pretrained(folder)
    weights.write_bytes(data)
    config = json.loads((folder / "config.json").read_text())
    for model, match in (({"name": "nope", "options": {}}, "expected a model in"),
                         ({"name": "gnanet", "options": {"wings": 2}}, "wings"),
                         ("gnanet", "expected \"model\"")):
        (folder / "config.json").write_text(json.dumps({**config, "model": model}))
        with pytest.raises(CheckpointError, match=match):
            from_pretrained(folder)
    with pytest.raises(CheckpointError, match="neither a model folder"):
        from_pretrained(str(tmp_path / "not" / "here" / "x"))


def test_cli_export_and_predict_from_folder(trained_run, synth_root, tmp_path):
    r = CliRunner()
    res = r.invoke(app, ["export", str(trained_run), "--out", str(tmp_path / "m"),
                         "--dtype", "bf16"])
    assert res.exit_code == 0, res.output
    res = r.invoke(app, ["predict", str(tmp_path / "m"), "--data", str(synth_root),
                         "--out", str(tmp_path / "p.json"), "--device", "cpu"])
    assert res.exit_code == 0, res.output
    assert "model gnanet" in res.stdout
    res = r.invoke(app, ["predict", "owner/name", "--data", str(synth_root), "--out",
                         str(tmp_path / "q.json")])
    assert res.exit_code == 2 and not (tmp_path / "q.json").exists()


def test_no_pickle_module_used_for_loading():
    """Nothing in the package calls pickle.load(s) either (a second way to run code)."""
    src = "\n".join(p.read_text(encoding="utf-8") for p in (PACKAGE / "vscrowd").rglob("*.py"))
    assert "pickle.load" not in src and "weights_only=False" not in src
