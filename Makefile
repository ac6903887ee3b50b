# Every target creates .venv on first use and installs what it needs into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev

.PHONY: venv test test-fast lint typecheck check demo explain fuzz bench bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

venv: $(STAMP)

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
demo: $(STAMP)
	$(BIN)/corecors demo

## Explain one cross-origin request under the embedded default policy.
explain: $(STAMP)
	$(BIN)/corecors explain --origin https://app.example.com --method PUT --header content-type --header authorization --credentials

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache .hypothesis
