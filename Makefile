# Accord — `make help` lists every target.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
ACCORD := $(BIN)/accord
STAMP := $(VENV)/.installed-stamp
export ACCORD_DATA_DIR ?= $(CURDIR)/var

.PHONY: help run test lint fmt bench install migrate demo serve worker test-sqlite test-postgres clean

help: ## List the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[1m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

# uv (its version pinned in requirements.lock) installs the pinned dependencies; where uv itself
# cannot be installed (no wheel for the platform, say), pip does, from the same pins (docs/adr/0013).
$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info[:2] == (3, 11) else "Accord needs Python 3.11")'
	@test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	@if $(BIN)/python -m pip install --quiet --disable-pip-version-check --only-binary :all: -c requirements.lock uv; then \
		echo "$(BIN)/uv pip install -c requirements.lock -e '.[dev]'"; \
		$(BIN)/uv pip install --quiet --python $(BIN)/python -c requirements.lock -e '.[dev]'; \
	else \
		echo "uv could not be installed: installing with pip"; \
		$(BIN)/python -m pip install --quiet --upgrade pip && \
		$(BIN)/python -m pip install --quiet -c requirements.lock -e '.[dev]'; \
	fi
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install Accord with pinned dependencies

migrate: install ## Apply database migrations
	$(ACCORD) migrate --noinput

demo: migrate ## Load the demo workspace (once; later runs keep your data)
	$(ACCORD) demo --if-empty

run: demo ## Install, migrate, load the demo and serve on http://127.0.0.1:8000 (ACCORD_PORT to change)
	$(ACCORD) collectstatic --noinput --verbosity 0
	@echo "Emails go to files in $${ACCORD_DATA_DIR:-var}/mail/ (set ACCORD_EMAIL_BACKEND for a mail server)."
	ACCORD_EMAIL_BACKEND=$${ACCORD_EMAIL_BACKEND:-django.core.mail.backends.filebased.EmailBackend} $(ACCORD) serve

serve: install ## Serve with gunicorn without loading the demo
	$(ACCORD) serve

worker: install ## Run a Celery worker (needs ACCORD_BROKER_URL, e.g. redis://127.0.0.1:6379/0)
	$(ACCORD) worker

beat: install ## Run the schedule for the workers: SLA sweep, outbox, re-engage dates (needs ACCORD_BROKER_URL)
	$(ACCORD) beat

lint: install ## ruff, mypy and import-linter
	$(BIN)/ruff check accord tests bench conftest.py
	$(BIN)/mypy accord
	$(BIN)/lint-imports

fmt: install ## Format and fix what ruff can
	$(BIN)/ruff format accord tests bench conftest.py
	$(BIN)/ruff check --fix accord tests bench conftest.py

# The suite runs on every core (pytest-xdist: each worker has its own test database).
PYTEST := $(BIN)/pytest -q -p no:cacheprovider -n $(shell nproc 2>/dev/null || echo 2)

test-sqlite: install
	env -u DATABASE_URL $(PYTEST)

test-postgres: install
	@if [ -n "$$ACCORD_TEST_DATABASE_URL" ]; then \
		echo "--- the suite again on PostgreSQL ($$ACCORD_TEST_DATABASE_URL)"; \
		DATABASE_URL="$$ACCORD_TEST_DATABASE_URL" $(PYTEST); \
	else echo "--- ACCORD_TEST_DATABASE_URL is not set: PostgreSQL run not requested"; fi

test: lint test-sqlite test-postgres ## Lint, then the whole suite on SQLite (and PostgreSQL when ACCORD_TEST_DATABASE_URL is set)

bench: install ## Run the benchmarks in bench/ and print their figures
	$(BIN)/python -m bench

clean: ## Remove the virtualenv and local data (var/)
	rm -rf $(VENV) var
