from __future__ import annotations

import socket
import warnings

import pytest
import torch
import torch.multiprocessing as mp

from vscrowd import CheckpointError, ConfigError, VSCrowd
from vscrowd.eval import evaluate
from vscrowd.train import TrainConfig, predict, train
from vscrowd.train.checkpoint import load_checkpoint, save_checkpoint

pytestmark = pytest.mark.filterwarnings("ignore:VGG16 backbone is randomly")


def _cfg(root, **kw) -> TrainConfig:
    base = {"data.root": str(root), "data.crop": (64, 96), "data.workers": 0,
            "model.name": "gnanet", "model.width": 0.0625, "model.n_samples": 4,
            "model.eval_samples": 1, "batch_size": 4, "val_every": 0,
            "optim.optimizer": "adam", "optim.lr": 2e-3, "optim.warmup_steps": 5}
    base.update(kw)
    return TrainConfig().override(**base)


def _params(path):
    return load_checkpoint(path)["model"]


@pytest.mark.slow
def test_loss_falls_and_beats_untrained(synth_root, tmp_path):
    torch.set_num_threads(2)
    cfg = _cfg(synth_root, max_steps=40, **{"model.width": 0.125})
    train(cfg, tmp_path / "run")
    untrained = _cfg(synth_root, max_steps=1, **{"optim.lr": 1e-12, "model.width": 0.125})
    train(untrained, tmp_path / "untrained")
    # The loss on one fixed batch of training clips (per-batch training losses are too
    # noisy to compare: the number of heads per crop varies a lot).
    from vscrowd.data import VSCrowdClips, collate, train_transform
    from vscrowd.train.predict import load_trained_model
    from vscrowd.train.steps import weighted_bce

    clips = VSCrowdClips(synth_root, "train", 3, 1, train_transform((64, 96), (0.8, 1.2)),
                         seed=0)
    batch = collate([clips[i] for i in range(8)])
    fixed = {}
    for name in ("run", "untrained"):
        model, _, _ = load_trained_model(tmp_path / name / "last.pt")
        with torch.no_grad():
            fixed[name] = float(weighted_bce(model(batch["frames"]), batch["target"], 50.0))
    assert fixed["run"] < 0.8 * fixed["untrained"], fixed
    ds = VSCrowd(synth_root)
    scores = {}
    for name in ("run", "untrained"):
        # After 40 steps peaks reach ~0.3; untrained maps sit at 0.01.
        p = predict(tmp_path / name / "last.pt", ds, split="test", score_floor=0.1)
        scores[name] = evaluate(ds, p, split="test", sigmas=[20]).sigma(20).map
    assert scores["run"] > max(scores["untrained"], 0.005)


_CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
#: (device, deterministic): exact resume on CPU either way, on CUDA with --deterministic.
_EXACT = [("cpu", False), ("cpu", True), pytest.param("cuda", True, marks=_CUDA)]


@pytest.mark.parametrize("device,deterministic", _EXACT)
def test_resume_is_exact(synth_root, tmp_path, device, deterministic):
    cfg = _cfg(synth_root, max_steps=6, device=device,  # 18 clips / 4 = 4 steps per epoch
               deterministic=deterministic)
    full = train(cfg, tmp_path / "full")
    assert full.steps == 6 and not full.interrupted

    def interrupt(step, loss):
        if step == 3:
            raise KeyboardInterrupt

    part = train(cfg, tmp_path / "part", on_step=interrupt)
    assert part.interrupted and part.steps == 3
    resumed = train(cfg, tmp_path / "part", resume=True)
    assert resumed.steps == 6
    a, b = _params(tmp_path / "full" / "last.pt"), _params(tmp_path / "part" / "last.pt")
    assert a.keys() == b.keys()
    for k in a:
        assert torch.equal(a[k], b[k]), k


@pytest.mark.parametrize("device,deterministic", _EXACT)
def test_resume_after_a_crash_from_the_periodic_checkpoint(synth_root, tmp_path, device,
                                                           deterministic):
    cfg = _cfg(synth_root, max_steps=6, checkpoint_every=2, device=device,
               deterministic=deterministic)
    train(cfg, tmp_path / "full")

    def crash(step, loss):
        if step == 5:  # like a SIGKILL: nothing is saved at this point
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        train(cfg, tmp_path / "crash", on_step=crash)
    assert load_checkpoint(tmp_path / "crash" / "last.pt")["step"] == 4
    train(cfg, tmp_path / "crash", resume=True)
    a, b = _params(tmp_path / "full" / "last.pt"), _params(tmp_path / "crash" / "last.pt")
    assert all(torch.equal(a[k], b[k]) for k in a)


def test_deterministic_is_scoped_to_the_run(synth_root, tmp_path):
    assert not torch.are_deterministic_algorithms_enabled()
    seen = []
    cfg = _cfg(synth_root, max_steps=1, deterministic=True, device="cpu")
    train(cfg, tmp_path / "run",
          on_step=lambda *_: seen.append(torch.are_deterministic_algorithms_enabled()))
    assert seen == [True] and not torch.are_deterministic_algorithms_enabled()


@_CUDA
def test_cuda_resume_without_deterministic_is_exact_but_for_float_noise(synth_root, tmp_path):
    """Without --deterministic, CUDA kernels (cuDNN, atomics in the GNA backward) may sum
    in another order: the resumed run has the same data, RNG and optimiser state, and
    parameters equal to the documented tolerance (docs/model.md)."""
    cfg = _cfg(synth_root, max_steps=6, device="cuda")
    train(cfg, tmp_path / "full")

    def interrupt(step, loss):
        if step == 3:
            raise KeyboardInterrupt

    train(cfg, tmp_path / "part", on_step=interrupt)
    train(cfg, tmp_path / "part", resume=True)
    a, b = _params(tmp_path / "full" / "last.pt"), _params(tmp_path / "part" / "last.pt")
    for k in a:
        torch.testing.assert_close(a[k].float(), b[k].float(), rtol=5e-2, atol=5e-3)


def test_validation_keeps_best_and_logs(synth_root, tmp_path):
    cfg = _cfg(synth_root, epochs=1, val_every=1, val_max_frames=3)
    res = train(cfg, tmp_path / "run")
    assert (tmp_path / "run" / "best.pt").exists() and res.best_map20 is not None
    rows = (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()
    assert len(rows) == 1 and '"mAP@20"' in rows[0]
    assert tuple(load_checkpoint(tmp_path / "run" / "last.pt")["config"]["data"]["crop"]) == (
        64, 96)
    assert (tmp_path / "run" / "config.json").exists()


def test_bad_inputs(synth_root, tmp_path):
    with pytest.raises(ConfigError, match="no split 'val'"):
        train(_cfg(synth_root, max_steps=1, **{"data.val_split": "val", "val_every": 1}),
              tmp_path / "x")
    with pytest.raises(ConfigError, match="multiples of 8"):
        train(_cfg(synth_root, **{"data.crop": (60, 64)}), tmp_path / "x")
    train(_cfg(synth_root, max_steps=1), tmp_path / "a")
    # Same name, different config: the error lists mismatching keys.
    other = _cfg(synth_root, max_steps=2, **{"model.width": 0.125})
    with pytest.raises(ConfigError, match=r"model.width: 0.0625 -> 0.125"):
        train(other, tmp_path / "a", resume=True)
    with pytest.raises(CheckpointError, match="another model"):
        train(other, tmp_path / "a", resume=True, allow_changes=True)
    good = (tmp_path / "a" / "last.pt").read_bytes()
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "last.pt").write_bytes(good[: len(good) // 2])
    with pytest.raises(CheckpointError, match="corrupt or truncated"):
        predict(tmp_path / "b" / "last.pt", synth_root)
    assert (tmp_path / "a" / "last.pt").read_bytes() == good  # untouched
    with pytest.raises(CheckpointError, match="no checkpoint"):
        predict(tmp_path / "nope.pt", synth_root)


def test_checkpoint_write_is_atomic(tmp_path, monkeypatch):
    p = save_checkpoint(tmp_path / "c.pt", {"x": 1})
    before = p.read_bytes()

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr("vscrowd._io.os.replace", boom)
    with pytest.raises(RuntimeError):
        save_checkpoint(tmp_path / "c.pt", {"x": 2})
    assert p.read_bytes() == before
    assert [f.name for f in tmp_path.iterdir()] == ["c.pt"]


def _ddp_worker(rank, world, port, root, out, q):
    import os

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), WORLD_SIZE=str(world),
                      RANK=str(rank), LOCAL_RANK=str(rank))
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    cfg = _cfg(root, epochs=1, val_every=1, val_max_frames=4)
    try:
        train(cfg, out)
        core = load_checkpoint(out / "last.pt")["model"] if rank == 0 else None
        q.put((rank, "ok", None if core is None else sum(float(v.sum()) for v in core.values())))
    except Exception as exc:  # pragma: no cover - reported to the parent
        q.put((rank, f"{type(exc).__name__}: {exc}", None))
    finally:
        import torch.distributed as dist

        if dist.is_initialized():
            dist.destroy_process_group()


@pytest.mark.slow
def test_distributed_gloo_two_processes(synth_root, tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ctx = mp.get_context("spawn")
    q = ctx.SimpleQueue()
    procs = [ctx.Process(target=_ddp_worker, args=(r, 2, port, synth_root, tmp_path / "ddp", q))
             for r in range(2)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(240)
    results = sorted(q.get() for _ in range(2))
    assert [r[1] for r in results] == ["ok", "ok"], results
    ckpt = load_checkpoint(tmp_path / "ddp" / "last.pt")
    assert ckpt["world_size"] == 2 and len(ckpt["rng"]) == 2
    # Rank 0 evaluated the predictions gathered from both ranks.
    assert isinstance(ckpt["history"][0]["mAP@20"], float)
