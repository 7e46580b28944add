# Two commands on a fresh machine: `make demo` and `make test` (see README.md).
# Both create or reuse .venv; an interrupted install is detected and redone.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
# Pinned: on our machines this version is a local CPU build; an unpinned torch
# would download a multi-GB CUDA build.
TORCH_SPEC ?= torch==2.13.0
DEMO_OUT ?= demo-out

.PHONY: demo test lint bench venv install-demo install-dev browser clean

venv:
	@# A venv whose interpreter or pip is missing/broken (half-made) is rebuilt.
	@if ! $(PY) -m pip --version >/dev/null 2>&1; then \
		echo "creating $(VENV)"; rm -rf $(VENV); $(PYTHON) -m venv $(VENV) || exit 1; \
	fi

# Stamp files are written only after a successful install, so an interrupted
# install is simply redone by the next run.
$(VENV)/.stamp-demo: pyproject.toml | venv
	$(PY) -m pip install -q --disable-pip-version-check "$(TORCH_SPEC)"
	$(PY) -m pip install -q --disable-pip-version-check -e ".[torch]"
	@touch $@

$(VENV)/.stamp-dev: pyproject.toml | venv
	$(PY) -m pip install -q --disable-pip-version-check "$(TORCH_SPEC)"
	$(PY) -m pip install -q --disable-pip-version-check -e ".[torch,dev]"
	@touch $@ $(VENV)/.stamp-demo

install-demo: venv $(VENV)/.stamp-demo
install-dev: venv $(VENV)/.stamp-dev

demo: install-demo
	$(PY) -m vscrowd.cli.main demo --out $(DEMO_OUT)

lint: install-dev
	$(PY) -m ruff check .

# The report page is tested in a real headless browser: Chromium from the system
# packages, installed here when missing (CI runs as root with apt; a no-op when present).
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			echo "installing chromium (browser tests of vscrowd report)"; \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
				chromium >/dev/null || exit 1; \
		else \
			echo "note: no chromium and no root apt-get: the browser tests will be skipped"; \
		fi; }

test: install-dev browser
	$(PY) -m ruff check .
	$(PY) -m pytest -q

bench: install-dev
	$(PY) benchmarks/annotations_speed.py
	$(PY) benchmarks/eval_speed.py
	$(PY) benchmarks/video_speed.py

clean:
	rm -rf $(DEMO_OUT) .pytest_cache .ruff_cache
