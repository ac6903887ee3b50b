# Every target creates .venv on first use and installs what it needs into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
DEMO_STAMP := $(VENV)/.installed-demo
# Exact versions of the development environment (the library's own requirements stay ranges in
# pyproject.toml). Refresh with `make lock` after changing an extra.
CONSTRAINTS := constraints/dev.txt
LOCK_VENV := .lock-venv

.PHONY: venv test test-fast lint typecheck check demo demo-screenshot explain fuzz bench \
	bench-quick lock clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[dev]'
	touch $(STAMP)

# The demo needs only its own extra (aiohttp and uvicorn), not the test tools.
$(DEMO_STAMP): pyproject.toml $(CONSTRAINTS) | $(BIN)/python
	$(BIN)/python -m pip install --quiet -c $(CONSTRAINTS) -e '.[demo]'
	touch $(DEMO_STAMP)

venv: $(STAMP)

## Re-resolve the dev and demo extras in a scratch environment and pin the result.
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet '.[dev,demo]'
	{ echo "# Pinned development environment, written by \`make lock\`; do not edit by hand."; \
	  $(LOCK_VENV)/bin/python -m pip freeze --exclude-editable | grep -v -i '^corecors[=@ ]'; \
	} > $(CONSTRAINTS)
	rm -rf $(LOCK_VENV)

## The whole test suite, with lint and type checks first.
test: $(STAMP) lint typecheck
	$(BIN)/python -m pytest

## The long hostile-input fuzzing run (hypothesis, high example counts; several minutes).
fuzz: $(STAMP)
	$(BIN)/python -m pytest -m fuzz

## Benchmarks against the peers (about 8 minutes; see docs/performance.md).
bench: $(STAMP)
	$(BIN)/python -m benchmarks

## The same in about a minute.
bench-quick: $(STAMP)
	$(BIN)/python -m benchmarks --quick

## Tests only, no lint.
test-fast: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests examples benchmarks fuzz
	$(BIN)/ruff format --check src tests examples benchmarks fuzz

## mypy --strict, then pyright (what VS Code's Pylance runs) on the packages, the examples and
## typical user code; tests/test_typing.py adds the README's examples and --verifytypes.
typecheck: $(STAMP)
	$(BIN)/mypy
	$(BIN)/pyright src examples tests/typing

## The main job: the demo, on the embedded default policy (Ctrl-C stops it).
demo: $(DEMO_STAMP)
	$(BIN)/corecors demo

## Regenerate docs/demo.png: the demo page in headless Chromium, once every row has finished.
demo-screenshot: $(DEMO_STAMP)
	$(BIN)/corecors demo --screenshot docs/demo.png

## Explain one cross-origin request under the embedded default policy.
explain: $(STAMP)
	$(BIN)/corecors explain --origin https://app.example.com --method PUT --header content-type --header authorization --credentials

clean:
	rm -rf $(VENV) $(LOCK_VENV) build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
