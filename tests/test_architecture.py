"""The layering of docs/contributing.md: no import cycle between vscrowd modules (lazy,
function-level and type-checking imports included), modules and functions kept small."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "vscrowd"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PKG.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in PKG.rglob("*.py")}
    edges: dict[str, set[str]] = {m: set() for m in files}
    for mod, path in files.items():
        package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package.split(".")
                if node.level:
                    base = base[:len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for cand in [target] + [f"{target}.{a.name}" for a in node.names]:
                    if cand in files and cand != mod:
                        edges[mod].add(cand)
            elif isinstance(node, ast.Import):
                edges[mod].update(a.name for a in node.names if a.name in files)
    return edges


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in edges[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in edges:
        if v not in index:
            visit(v)
    return out


def test_the_checker_sees_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_import_cycles():
    # Packages import their own submodules (re-exports); a cycle through a package's
    # __init__ and its children is that, not layering.
    # The deliberate upward imports (UPWARD_ALLOWED) are lazy, inside a function: they
    # close no cycle at import time, so they are left out here (and only they).
    edges = {m: {t for t in ts if not m.startswith(t + ".")
                 and f"{m} -> {t}" not in UPWARD_ALLOWED} for m, ts in _graph().items()}
    assert _cycles(edges) == []


@pytest.mark.parametrize("path", sorted(PKG.rglob("*.py")), ids=lambda p: p.name)
def test_modules_and_functions_stay_small(path):
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") <= 400, f"{path.name}: split it (one concept per module)"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            start = node.lineno
            if body and isinstance(body[0], ast.Expr) and isinstance(
                    getattr(body[0], "value", None), ast.Constant):
                start = body[0].end_lineno + 1  # the docstring does not count
            assert node.end_lineno - start < 62, f"{path.name}:{node.name} needs helpers"


# docs/contributing.md's layers: a module imports only from its own layer or lower ones.
LAYERS = {
    "vscrowd.errors": 0, "vscrowd._io": 0, "vscrowd._text": 0, "vscrowd._files": 0,
    "vscrowd._optional": 0, "vscrowd._parallel": 0,
    "vscrowd._lazy": 0, "vscrowd._moved": 0, "vscrowd._version": 0, "vscrowd.frameids": 0,
    "vscrowd.clipwindow": 0, "vscrowd.figures": 0, "vscrowd.choices": 0,
    "vscrowd.points": 1,
    "vscrowd.datasets": 2,
    "vscrowd.acquire": 3, "vscrowd.synth": 3,
    "vscrowd.eval": 4,
    "vscrowd.methods": 5, "vscrowd.viz": 5, "vscrowd.report": 5,
    "vscrowd.data": 6,
    "vscrowd.models": 7,
    "vscrowd.train": 8, "vscrowd.demo": 8, "vscrowd.video": 8,
}
# Deliberate upward imports, each lazy (inside a function) and with its reason.
UPWARD_ALLOWED = {
    # VSCrowd(root, download=True) fetches a missing root first, torchvision's convention.
    "vscrowd.datasets.vscrowd -> vscrowd.acquire.download",
}


def _layer(module: str) -> int | None:
    parts = module.split(".")
    for i in range(len(parts), 0, -1):
        if ".".join(parts[:i]) in LAYERS:
            return LAYERS[".".join(parts[:i])]
    return None  # the package root re-exports everything


def test_every_module_has_a_layer():
    assert [m for m in _graph() if m != "vscrowd" and _layer(m) is None] == []


def test_nothing_imports_upward():
    upward = sorted(f"{m} -> {t}" for m, ts in _graph().items() for t in ts
                    if m != "vscrowd" and _layer(t) is not None and _layer(t) > _layer(m))
    assert [u for u in upward if u not in UPWARD_ALLOWED] == []
