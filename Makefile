# `make run` and `make test` work on a fresh machine: they install what they need first.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
TEST_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ticketing
# Tests run with DEBUG off, as production does, over plain HTTP (the suite proves the HTTPS
# defaults on their own); this key signs nothing outside the test run.
TEST_ENV := DEBUG=0 HTTPS=0 SECRET_KEY=test-only-not-secret \
	EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend

.PHONY: install run run-prod test test-postgres test-sqlite lint migrate bench clean

install: $(VENV)/.installed $(VENV)/.messages

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# The translations, compiled whenever a .po file changes (the .mo files are not committed).
$(VENV)/.messages: $(VENV)/.installed $(wildcard locale/*/LC_MESSAGES/*.po)
	$(BIN)/python scripts/compile_messages.py
	touch $@

migrate: install
	$(BIN)/python manage.py migrate --noinput

# Zero setup: SQLite in var/, demo data on first run, one ASGI process (HTTP and websockets).
# DEBUG stays off unless asked for (DEBUG=1 make run); plain HTTP on 127.0.0.1; the secret key
# is made once in var/; emails (with their booking links) are printed here.
run: export HTTPS ?= 0
run: export EMAIL_BACKEND ?= django.core.mail.backends.console.EmailBackend
run: migrate
	$(BIN)/python manage.py seed_demo --if-empty --premiere-in 10
	$(BIN)/uvicorn ticketing.asgi:application --host 127.0.0.1 --port $(PORT) --no-proxy-headers

# Production mode on this machine: web (2 workers), Celery worker and beat from the Procfile,
# on PostgreSQL and Redis (override DATABASE_URL, REDIS_URL, SECRET_KEY, PORT as needed).
run-prod: export DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/ticketing
run-prod: export REDIS_URL ?= redis://127.0.0.1:6379/0
run-prod: export SECRET_KEY ?= $(shell $(PYTHON) -c 'import secrets; print(secrets.token_urlsafe(50))')
run-prod: export DEBUG = 0
run-prod: export HTTPS ?= 0
run-prod: export EMAIL_BACKEND ?= django.core.mail.backends.console.EmailBackend
run-prod: export PORT := $(PORT)
run-prod: install
	psql "$${DATABASE_URL%/*}/postgres" -qc "CREATE DATABASE $${DATABASE_URL##*/}" 2>/dev/null || true
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --if-empty --premiere-in 10
	$(BIN)/python manage.py reset_metrics
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/honcho start web worker beat

test: lint test-postgres test-sqlite

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/python scripts/import_graph.py --check
	DATABASE_URL=sqlite:///var/lint.sqlite3 DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run

# Everything, on PostgreSQL.
test-postgres: install
	$(TEST_ENV) DATABASE_URL=$(TEST_DATABASE_URL) $(BIN)/pytest

# The storage suite again, on SQLite (IMMEDIATE transactions).
test-sqlite: install
	$(TEST_ENV) DATABASE_URL=sqlite:///var/test-main.sqlite3 $(BIN)/pytest -m sqlite

# Benchmarks (docs/performance.md): starts production mode (PostgreSQL, Redis, Celery) and the
# zero-setup mode (SQLite) itself, runs S1-S5 from a separate load process, checks invariants,
# writes bench/results.json and the table in docs/performance.md. About 20 minutes.
# BENCH_ARGS="--quick" for tiny sizes, "--modes production --scenarios s1,s2" for a part.
bench: install
	@command -v pgbench >/dev/null || { echo "pgbench is missing: apt-get install postgresql-contrib (or postgresql-client)"; exit 1; }
	@pg_isready -q -h 127.0.0.1 || pg_ctlcluster --skip-systemctl-redirect $$(ls /etc/postgresql | head -1) main start
	$(BIN)/python -m bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache .hypothesis
