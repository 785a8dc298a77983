# Verval: two commands on a fresh Debian machine.
#   make run   – venv, pinned packages, project-private PostGIS, migrations, demo city, gunicorn on :8000
#   make test  – the same provisioning, then the whole test suite against a fresh test database
# DATABASE_URL set in the environment → that database is used and no private cluster is started.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
HOUSEHOLDS ?= 42124
SEED ?= 1
WORKERS ?= 4
export FLASK_APP := server:create_app
export VERVAL_PROFILE ?= development
PRIVATE_DB := $(if $(DATABASE_URL),,yes)
DB_URL = $(if $(DATABASE_URL),$(DATABASE_URL),$(shell scripts/devdb.sh url))

.PHONY: run test db db-stop lint format venv pwa chromium

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	@scripts/bootstrap.sh "$(VENV)"
	@touch $@

# The enumerators' PWA: npm ci + vite build, only when its sources changed (Node/npm from Debian if missing).
PWA_SOURCES := $(shell find pwa/src pwa/public pwa/scripts -type f 2>/dev/null) pwa/index.html pwa/package.json \
	pwa/package-lock.json pwa/vite.config.js pwa/vite.sw.config.js
AS_ROOT := $(if $(filter 0,$(shell id -u)),,sudo)

pwa: pwa/dist/.built

pwa/dist/.built: $(PWA_SOURCES)
	@command -v npm >/dev/null || { echo "make pwa: installing nodejs and npm (Debian)" >&2; \
		$(AS_ROOT) apt-get update -qq && $(AS_ROOT) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null; }
	@cd pwa && npm ci --no-audit --no-fund --loglevel=error && npm run --silent build
	@touch $@

# Browser tests drive Debian's Chromium (never a downloaded browser).
chromium:
	@test -x /usr/bin/chromium || { echo "make chromium: installing chromium (Debian)" >&2; \
		$(AS_ROOT) apt-get update -qq && $(AS_ROOT) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

db: venv
	@$(if $(PRIVATE_DB),scripts/devdb.sh start,true)
	@DATABASE_URL='$(DB_URL)' $(BIN)/python -m server.health.check

db-stop:
	@scripts/devdb.sh stop

run: db pwa
	@export DATABASE_URL='$(DB_URL)'; \
	$(BIN)/flask db upgrade >/dev/null; \
	$(BIN)/flask regions load; \
	$(BIN)/flask programs seed; \
	$(BIN)/flask demo-data --households $(HOUSEHOLDS) --seed $(SEED) --if-empty; \
	echo "Verval on http://localhost:$(PORT)  (demo logins, password demo-verval: admin, supervisor, reviewer, enumerator1…enumerator5, viewer)"; \
	exec $(BIN)/gunicorn --workers $(WORKERS) --bind 0.0.0.0:$(PORT) --access-logfile - 'server:create_app()'

test: db pwa chromium
	@export DATABASE_URL='$(DB_URL)' VERVAL_PROFILE=test; \
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

format: venv
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .
