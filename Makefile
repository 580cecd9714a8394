# The two commands a new user needs: `make run` and `make test`. Everything else is a helper.
SHELL := /bin/bash
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
BUN_DIR := $(CURDIR)/.tools/node_modules/@oven/bun-linux-x64/bin
export PATH := $(BUN_DIR):$(CURDIR)/$(BIN):$(PATH)
export REFLEX_TELEMETRY_ENABLED := false
export REFLEX_CHECK_LATEST_VERSION := false
# Test processes (pytest-xdist): the suite mostly waits on subprocesses, browsers and timers, so two
# processes halve its time on a 2-core machine; each has its own scratch database and app build.
TEST_WORKERS ?= 2
export NPM_CONFIG_REGISTRY ?= $(shell npm config get registry 2>/dev/null || echo https://registry.npmjs.org/)
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test install bun browser screenshots migrate migration seed lint fmt bench worker clean audit docs

$(BIN)/python:
	$(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

install: $(VENV)/.installed bun

$(BUN_DIR)/bun:
	npm install --no-audit --no-fund --ignore-scripts --silent --prefix .tools @oven/bun-linux-x64@1.4.5

bun: $(BUN_DIR)/bun

migrate: $(VENV)/.installed
	$(BIN)/python -m compliance_app db upgrade

migration: $(VENV)/.installed
	@test -n "$(m)" || (echo 'usage: make migration m="what changed"' >&2; exit 2)
	$(BIN)/alembic revision --autogenerate -m "$(m)"

seed: migrate
	$(BIN)/python -m compliance_app seed-demo

run: install seed
	$(BIN)/python -m compliance_app serve

worker: migrate
	MALLOC_ARENA_MAX=$${MALLOC_ARENA_MAX:-2} $(BIN)/python -m compliance_app worker

browser:
	@command -v chromium >/dev/null 2>&1 && command -v pdftoppm >/dev/null 2>&1 && command -v faketime >/dev/null 2>&1 \
	  && { command -v nginx >/dev/null 2>&1 || test -x /usr/sbin/nginx; } && command -v redis-server >/dev/null 2>&1 || { \
	  echo "installing Debian's chromium, poppler-utils, faketime, nginx-light and redis-server (browser, PDF, clock-skew and scale-out tests)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium poppler-utils faketime nginx-light redis-server >/dev/null; }

# Dependency audit (.ci/pip_audit_gate.py says the rules): pip-audit in its own virtualenv.
AUDIT_VENV := .tools/pip-audit
$(AUDIT_VENV)/.installed: .ci/requirements-audit.txt
	$(PY) -m venv $(AUDIT_VENV) || python3 -m venv $(AUDIT_VENV)
	$(AUDIT_VENV)/bin/pip install --quiet -r .ci/requirements-audit.txt
	touch $@

audit: $(AUDIT_VENV)/.installed
	$(AUDIT_VENV)/bin/python .ci/pip_audit_gate.py --pip-audit $(AUDIT_VENV)/bin/pip-audit

test: install browser audit
	$(BIN)/python -m pytest -p no:cacheprovider -n $(TEST_WORKERS) $(PYTEST_ARGS)

screenshots: install browser
	UPDATE_SCREENSHOTS=1 $(BIN)/python -m pytest -p no:cacheprovider -m browser

lint: $(VENV)/.installed
	$(BIN)/ruff check compliance_app tests bench alembic .ci

fmt: $(VENV)/.installed
	$(BIN)/ruff format compliance_app tests bench alembic

# docs/checks.md is generated from the check catalog (tests/checks_catalog/test_docs.py fails on drift).
docs: $(VENV)/.installed
	$(BIN)/python -m compliance_app questions docs --output docs/checks.md

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf .web .states data/*.db* .pytest_cache
