# driftaudit — the two quick-start commands and a few helpers.
#   make demo   create .venv, install (with moto for the simulated AWS), run `driftaudit demo`
#   make test   create .venv, install with test extras, run lint + the whole suite
#               (SQLite and PostgreSQL; PostgreSQL at $DRIFTAUDIT_TEST_PG,
#               default postgresql://postgres@127.0.0.1:5432/test)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PYTEST_ARGS ?=

.PHONY: demo test lint typecheck bench bench-quick clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "driftaudit needs Python >= 3.11, found " + sys.version.split()[0]'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[demo]'
	@touch $@

$(VENV)/.installed-test: $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

demo: $(VENV)/.installed
	$(BIN)/driftaudit demo

lint: $(VENV)/.installed-test
	$(BIN)/ruff check auditd tests bench
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

bench: $(VENV)/.installed-test
	$(BIN)/python bench/diff_store.py

bench-quick: $(VENV)/.installed-test
	$(BIN)/python bench/diff_store.py --quick

clean:
	rm -rf $(VENV) demo-state build *.egg-info .pytest_cache .mypy_cache .ruff_cache
