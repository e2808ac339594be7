# Panelwave: `make demo` serves a demo study; `make test` runs every check (linters, the
# migration check and linter) and the suite.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# PostgreSQL and Redis on their default local ports when they answer (or DATABASE_URL /
# REDIS_URL from the environment); SQLite and eager Celery otherwise.
LOCAL_SERVICES = set -a; eval "$$($(BIN)/python -m config.localservices)"; set +a

.PHONY: demo test lint check serve bench clean-demo

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

# The demo is the one place debug pages are on by default (DJANGO_DEBUG=false overrides).
# Its links (printed, and in the pages) point at the port it serves on.
DEMO_ENV = env -u DATABASE_URL -u REDIS_URL DJANGO_DEBUG=$(or $(DJANGO_DEBUG),true) \
	SITE_URL=$(or $(SITE_URL),http://127.0.0.1:$(PORT))

demo: $(VENV)/.installed
	$(DEMO_ENV) $(BIN)/python manage.py migrate --no-input
	$(DEMO_ENV) $(BIN)/python manage.py collectstatic --no-input -v 0
	$(DEMO_ENV) $(BIN)/python manage.py load_demo
	$(DEMO_ENV) $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

lint: $(VENV)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/lint-imports

test: lint
	@$(LOCAL_SERVICES); \
	echo "make test: DATABASE_URL=$${DATABASE_URL:-(SQLite, embedded)} REDIS_URL=$${REDIS_URL:-(none: Celery eager)}"; \
	$(BIN)/python manage.py makemigrations --check --dry-run && \
	$(BIN)/python -m config.migrationlint && \
	$(BIN)/pytest

serve: $(VENV)/.installed
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py collectstatic --no-input -v 0
	$(BIN)/honcho start -f Procfile

bench: $(VENV)/.installed
	@$(LOCAL_SERVICES); for script in bench/*.py; do $(BIN)/python $$script || exit 1; done
