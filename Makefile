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

.PHONY: install run test lint bench

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
	$(BIN)/mypy marketplace labs vendors bench

# Every benchmark in bench/, one table at the end. They need PostgreSQL (and wrk, Redis
# and a worker for some); `make bench BENCH_ARGS=--quick` is a fast smoke run.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/postgres
BENCH_ARGS ?=
bench: install
	@command -v wrk >/dev/null || { echo "make bench needs wrk (Debian package wrk)"; exit 1; }
	DATABASE_URL=$${DATABASE_URL:-$(BENCH_DATABASE_URL)} $(BIN)/python bench/run_all.py $(BENCH_ARGS)
