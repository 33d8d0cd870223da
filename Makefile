# Developer entry points. `make run` and `make test` are all a new user needs.
SHELL := /bin/bash
.DEFAULT_GOAL := run

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

# Output of every process under honcho shows up at once, not when a buffer fills.
export PYTHONUNBUFFERED := 1

.PHONY: install run test lint

install: $(STAMP)

# Re-installs only when pyproject.toml or package-lock.json changes (or the virtualenv is
# gone). npm fetches the front-end packages (htmx, Pico CSS, axe-core) into node_modules/.
$(STAMP): pyproject.toml package.json package-lock.json
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Embedded (no REDIS_URL or CELERY_BROKER_URL): runserver plus `manage.py run_periodic`
# (Procfile.embedded). With a broker: runserver, a Celery worker and Celery beat (Procfile).
# Either way on http://127.0.0.1:8000/; Ctrl-C stops every process.
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	@mkdir -p var
	@if [ -n "$${REDIS_URL}$${CELERY_BROKER_URL}" ]; then \
		exec $(BIN)/honcho -f Procfile start; \
	else \
		exec $(BIN)/honcho -f Procfile.embedded start; \
	fi

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
