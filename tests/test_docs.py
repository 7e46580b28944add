"""The docs run as written: every ```bash and ```python block of README.md and docs/*.md.

Convention (docs/contributing.md, "Docs are tested"):

* each page's blocks run in order, in a fresh working folder of their own that holds a
  small synthetic dataset in ``ROOT/`` -- so ``ROOT`` in the docs ("your dataset root")
  works literally, and files a block writes are there for the next block of the page;
* ``vscrowd`` and ``python`` are this test environment's;
* a block right after ``<!-- docs-test: skip REASON -->`` is not run (GPU, real data,
  hours, installs); the test lists and counts those;
* a ```text block right after a runnable block is its expected output: each of its lines
  must appear in the output, in order, where ``...`` stands for any text.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from vscrowd import synthesize

REPO = Path(__file__).resolve().parents[1]
PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
_SKIP = re.compile(r"<!--\s*docs-test:\s*skip\s+(.+?)\s*-->")
_FENCE = re.compile(r"^```(\w*)\s*$")


@dataclass(frozen=True)
class Block:
    page: str
    line: int
    lang: str
    code: str
    expected: str | None = None
    skip: str | None = None


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of ``page`` that are bash or python, with markers and outputs."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found: list[Block] = []
    i, pending_skip = 0, None
    while i < len(lines):
        m_skip = _SKIP.search(lines[i])
        if m_skip:
            pending_skip = m_skip.group(1)
        m = _FENCE.match(lines[i])
        if not m:
            if lines[i].strip() and not m_skip:
                pending_skip = None
            i += 1
            continue
        lang, start = m.group(1), i + 1
        j = start
        while j < len(lines) and not lines[j].startswith("```"):
            j += 1
        code = "\n".join(lines[start:j])
        if (lang == "text" and found and found[-1].expected is None
                and _adjacent(lines, found[-1], start)):
            found[-1] = Block(**{**found[-1].__dict__, "expected": code})
        elif lang in ("bash", "python"):
            found.append(Block(page.name, start, lang, code, None, pending_skip))
        pending_skip = None
        i = j + 1
    return found


def _adjacent(lines: list[str], block: Block, text_start: int) -> bool:
    """A ```text block belongs to the runnable block just before it (blank lines only)."""
    end = block.line + block.code.count("\n") + 1  # the closing fence of the block
    return all(not x.strip() for x in lines[end + 1:text_start - 1])


def _matches(expected: str, output: str) -> bool:
    pos = 0
    for want in expected.strip().splitlines():
        if not want.strip() or want.strip() == "...":
            continue
        pattern = ".*".join(re.escape(part.strip()) for part in want.split("..."))
        m = re.compile(pattern).search(output, pos)
        if not m:
            return False
        pos = m.end()
    return True


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    return synthesize(tmp_path_factory.mktemp("docs") / "ROOT", videos=4, frames=6,
                      size=(192, 108), seed=2)


def _run(block: Block, cwd: Path) -> subprocess.CompletedProcess:
    bindir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bindir}{os.pathsep}{os.environ.get('PATH', '')}",
           "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore"}
    if block.lang == "python":
        argv = [sys.executable, "-c", block.code]
    else:
        argv = ["bash", "-e", "-o", "pipefail", "-c", block.code]
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=600)


ALL = [b for p in PAGES for b in blocks(p)]


def test_the_docs_have_runnable_blocks_and_few_skips():
    runnable = [b for b in ALL if b.skip is None]
    skipped = [f"{b.page}:{b.line} ({b.skip})" for b in ALL if b.skip is not None]
    print(f"\n{len(runnable)} doc blocks run, {len(skipped)} skipped:\n  " +
          "\n  ".join(skipped))
    assert len(runnable) >= 15 and len(skipped) <= len(runnable)


@pytest.mark.slow
@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_page_runs_as_written(page: Path, dataset: Path, tmp_path: Path):
    shutil.copytree(dataset, tmp_path / "ROOT")
    for block in blocks(page):
        if block.skip is not None:
            continue
        res = _run(block, tmp_path)
        where = f"{block.page}, line {block.line}"
        assert res.returncode == 0, (
            f"{where} failed:\n{block.code}\n---\n{res.stdout}\n{res.stderr}")
        if block.expected is not None:
            assert _matches(block.expected, res.stdout + res.stderr), (
                f"{where}: output does not match the doc\n--- doc:\n{block.expected}\n"
                f"--- got:\n{res.stdout}{res.stderr}")


def test_the_harness_itself(tmp_path):
    page = tmp_path / "x.md"
    page.write_text("a\n\n```bash\necho hi\n```\n\n```text\nh...\n```\n\n"
                    "<!-- docs-test: skip needs a GPU -->\n```python\nimport torch\n```\n"
                    "```json\n{}\n```\n")
    got = blocks(page)
    assert [(b.lang, b.expected, b.skip) for b in got] == [
        ("bash", "h...", None), ("python", None, "needs a GPU")]
    assert _matches("h...", "hi") and not _matches("bye", "hi")
    assert _matches("a ... c\n...\nd", "a b c\nx\nd")
