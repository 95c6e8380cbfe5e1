# The two commands a newcomer needs: `make demo` and `make test`.
# Both set up everything they use on a fresh machine first.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint services browser clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## Run the demo: a won deal becomes one Rocketlane project, on embedded defaults.
demo: $(STAMP)
	$(BIN)/handoff demo

## Run every check: lint, types, and the whole test suite against real services.
test: $(STAMP) services browser
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .
	$(BIN)/mypy

## Start PostgreSQL and Redis when they are not already running.
services:
	@ops/ensure-services

## Install headless Chromium for the dashboard's browser test, when missing.
browser:
	@ops/ensure-browser

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
