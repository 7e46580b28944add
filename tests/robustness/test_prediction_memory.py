"""Issue 31, item 9: reading a prediction file costs memory in proportion to its size.

Each read runs in a child process whose address space is limited (RLIMIT_AS) to what it
had after its imports plus 3x the file's size plus a fixed allowance, so a regression
fails with MemoryError here instead of swapping the machine. Files are ~6 MB."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/status").exists(),
                                reason="needs /proc (Linux) to read the address space")

# The child first reads three tiny files (lazy imports and thread pools reserve ~1 GB of
# address space on first use), then limits its address space to what it has + 3x the
# file + 40 MB. Measured on 6 MB files: the streaming readers grow by 17-33 MB; the
# readers before issue 31 grew by 93 MB (JSON Lines) and 74 MB (duplicates re-read).
_CHILD = """
import resource, sys, tempfile
from pathlib import Path
from vscrowd.eval import read_predictions
from vscrowd.errors import PredictionFormatError
def vm():
    for line in open("/proc/self/status"):
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
d = Path(tempfile.mkdtemp())
(d / "w.json").write_text('{"predictions":[{"video":"a","frame":"1","points":[[1,2,3]]}]}')
(d / "w.jsonl").write_text('{"video":"a","frame":"1","points":[[1,2,3]]}\\n')
(d / "t").mkdir()
(d / "t" / "a.txt").write_text("0001 1 2 3\\n")
for f in ("w.json", "w.jsonl", "t"):
    read_predictions(d / f)
size = int(sys.argv[2])
limit = vm() + 3 * size + 40 * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
try:
    p = read_predictions(sys.argv[1])
    print("read", len(p))
except PredictionFormatError as exc:
    print("refused", exc)
"""


def _records(mb: float, per_frame: int = 8) -> list[dict]:
    rng = np.random.default_rng(1)
    n = int(mb * 1e6 / (per_frame * 28))
    return [{"video": f"test_{i // 500:03d}", "frame": f"{i % 500:04d}",
             "points": np.round(rng.uniform(0, 999, (per_frame, 3)), 3).tolist()}
            for i in range(n)]


def _read_limited(path: Path) -> str:
    size = sum(p.stat().st_size for p in path.iterdir()) if path.is_dir() else \
        path.stat().st_size
    env = {"OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "MALLOC_ARENA_MAX": "2", "PATH": "/usr/bin:/bin"}
    res = subprocess.run([sys.executable, "-c", _CHILD, str(path), str(size)],
                         capture_output=True, text=True, env=env, timeout=120)
    assert res.returncode == 0, res.stderr[-2000:]
    return res.stdout


@pytest.fixture(scope="module")
def files(tmp_path_factory) -> dict[str, Path]:
    from vscrowd.eval import Predictions, write_predictions

    tmp = tmp_path_factory.mktemp("mem")
    recs = _records(6)
    preds = Predictions.from_records(recs)
    out = {fmt: write_predictions(preds, tmp / name, format=fmt)
           for fmt, name in (("json", "p.json"), ("jsonl", "p.jsonl"), ("txt", "p_txt"))}
    dup = {"format": "vscrowd-predictions", "version": 1, "predictions": recs + recs[:1]}
    (tmp / "dup.json").write_text(json.dumps(dup))
    out["dup"] = tmp / "dup.json"
    return out


@pytest.mark.parametrize("fmt", ["json", "jsonl", "txt"])
def test_reading_stays_within_three_times_the_file(files, fmt):
    assert _read_limited(files[fmt]).startswith("read ")


def test_duplicates_are_found_without_reading_the_file_again(files):
    out = _read_limited(files["dup"])
    assert out.startswith("refused") and "duplicate record for test_000/0000" in out


_ASSEMBLE = """
import resource, sys, zipfile
from pathlib import Path
from vscrowd.acquire.assemble import assemble
def vm():
    for line in open("/proc/self/status"):
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
tmp = Path(sys.argv[1])
(tmp / "warm").mkdir()
with zipfile.ZipFile(tmp / "warm" / "a.zip", "w") as zf:
    zf.writestr("annotations/test_009.txt", "0001 1 0 0 4 4 2 2\\n")
assemble(tmp / "warm", tmp / "warm-root")
limit = vm() + 120 * 2**20
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
print(assemble(tmp / "S", tmp / "R").placed)
"""


def test_a_large_annotation_file_is_checked_in_bounded_memory(tmp_path):
    """24 MB of annotations: the streaming check grows by ~75 MB whatever the size (4 MB
    blocks); reading the file whole, as before issue 31, grew by ~295 MB."""
    import zipfile

    heads = " ".join(f"{h} 10 10 30 30 20 20" for h in range(1, 101))
    (tmp_path / "S").mkdir()
    with zipfile.ZipFile(tmp_path / "S" / "ann.zip", "w", zipfile.ZIP_DEFLATED) as zf, \
            zf.open("annotations/test_001.txt", "w") as fh:
        for f in range(1, 12001):
            fh.write(f"{f:06d} {heads}\n".encode())
    env = {"OPENBLAS_NUM_THREADS": "1", "MALLOC_ARENA_MAX": "2", "PATH": "/usr/bin:/bin"}
    res = subprocess.run([sys.executable, "-c", _ASSEMBLE, str(tmp_path)],
                         capture_output=True, text=True, env=env, timeout=300)
    assert res.returncode == 0 and res.stdout.strip() == "1", res.stderr[-2000:]
