# Thin targets; everything installs from pyproject.toml into .venv.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install browser run worker test lint bench check clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install  ## start the API with in-process projections; demo data on first start
	CRM_LOAD_DEMO_DATA=$${CRM_LOAD_DEMO_DATA:-true} $(BIN)/crm serve

worker: install
	$(BIN)/crm worker

browser: ## Debian's Chromium for the browser tests (installed only when missing)
	.ci/browser-deps

test: install browser
	$(BIN)/pytest -q

lint: install
	$(BIN)/ruff check src tests scripts
	$(BIN)/ruff format --check src tests scripts
	$(BIN)/mypy

bench: install
	$(BIN)/python -m scripts.bench.touchpoints_http

check: lint test

clean:
	rm -rf $(VENV) var
