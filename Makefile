# PAR Survey: `make run` serves the demo, `make test` runs the whole suite. See README.md.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: run test lint install clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit("PAR Survey needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed

# QR codes and printed links point at the address served, unless SURVEY_PUBLIC_BASE_URL says otherwise
run: export SURVEY_PUBLIC_BASE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.installed
	$(BIN)/survey demo --if-empty
	$(BIN)/survey serve --host $(HOST) --port $(PORT)

test: $(VENV)/.installed-test
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/mypy questionnaires sampling analysis
	$(BIN)/bandit -q -r survey_service questionnaires sampling analysis --severity-level high

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
