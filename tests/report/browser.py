"""Load a page in headless Chromium as a person would: the rendered DOM, the console
messages and a screenshot. Chromium comes from the system packages (``make test`` and
``.ci/run`` install it when missing)."""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

CHROMIUM = next((p for p in map(shutil.which, ("chromium", "chromium-browser",
                                                "google-chrome")) if p), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (make "
                                    "test installs the Debian package)")


@dataclass
class Loaded:
    dom: str
    console: list[str]  # every console message and uncaught error
    screenshot: Path


def load(page: Path, tmp: Path, query: str = "", size: str = "1280,2000") -> Loaded:
    url = page.resolve().as_uri() + query
    args = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--disable-extensions", f"--user-data-dir={tmp / 'chromium-profile'}",
            "--enable-logging=stderr", "--v=0", "--virtual-time-budget=5000"]
    dom = subprocess.run([*args, "--dump-dom", url], capture_output=True, text=True,
                         timeout=120)
    shot = tmp / "screenshot.png"
    pic = subprocess.run([*args, f"--screenshot={shot}", f"--window-size={size}", url],
                         capture_output=True, text=True, timeout=120)
    console = [line for line in (dom.stderr + pic.stderr).splitlines() if ":CONSOLE" in line]
    return Loaded(dom.stdout, console, shot)
