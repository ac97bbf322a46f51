# Thin targets; everything installs from pyproject.toml into .venv.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run-sso install browser run worker test lint bench check clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install  ## start the API with in-process projections; demo data on first start
	CRM_LOAD_DEMO_DATA=$${CRM_LOAD_DEMO_DATA:-true} $(BIN)/crm serve

SSO_PORT ?= 9400
run-sso: install  ## like run, with single sign-on through a local test identity provider
	$(BIN)/python -m oidc_provider_mock --host 127.0.0.1 --port $(SSO_PORT) \
	  --user-claims '{"sub": "anna", "preferred_username": "anna.sso", "roles": ["account_manager"]}' \
	  --user-claims '{"sub": "mikko", "preferred_username": "mikko.sso", "roles": ["marketing"]}' \
	  --user-claims '{"sub": "dora", "preferred_username": "dora.sso", "roles": ["dpo"]}' \
	  --user-claims '{"sub": "aino", "preferred_username": "aino.sso", "roles": ["admin"]}' \
	  --user-claims '{"sub": "fanni", "preferred_username": "fanni.sso", "roles": ["finance"]}' & \
	provider=$$!; trap "kill $$provider" EXIT; \
	CRM_OIDC_ISSUER=http://127.0.0.1:$(SSO_PORT) CRM_OIDC_CLIENT_ID=asiakassilma \
	CRM_OIDC_CLIENT_SECRET=local-test-secret \
	CRM_LOAD_DEMO_DATA=$${CRM_LOAD_DEMO_DATA:-true} $(BIN)/crm serve

worker: install
	$(BIN)/crm worker

browser: ## Debian's Chromium and Tesseract OCR for the browser and PDF tests (installed only when missing)
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
