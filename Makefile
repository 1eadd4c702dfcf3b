# Two commands do all set-up on a fresh machine:
#   make demo   create .venv, install journeymine, run the demo on sample_transcripts/
#   make test   create .venv, install journeymine with the dev extra, run the tests
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip install --disable-pip-version-check -q -c constraints.txt
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: demo test install install-dev lint bench clean browser

$(PY):
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml constraints.txt | $(PY)
	$(PIP) torch==2.13.0
	$(PIP) -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PIP) -e ".[dev]"
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

demo: install
	$(VENV)/bin/journeymine demo

test: install-dev browser
	$(PY) -m pytest -q $(PYTEST_ARGS)

# Headless Chromium for the report's browser test (Debian's package, ~50 s with apt-get update).
# Best effort: without root or apt the browser test is skipped, and `make test` still runs.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null \
	  && apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
	  || echo "note: Chromium not installed; the browser test will be skipped"

lint: install-dev
	$(VENV)/bin/ruff check mining tests cli.py benchmarks

bench: install-dev
	$(PY) benchmarks/run_all.py

clean:
	rm -rf $(VENV) journeymine-demo .pytest_cache
