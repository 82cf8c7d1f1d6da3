# make run   set up (first time only) and serve on http://127.0.0.1:8090
# make test  set up, lint, type-check, then the suite on SQLite and on PostgreSQL
# make lint / make fmt
# make test-deploy  the production set-up of deploy/ on loopback (nginx, PostgreSQL, Redis, S3; ~2 min)
# make docs  build the documentation site into site/ (baas serve shows it at /_/docs/)
# make bench pocketbase vs baas side by side on loopback (~20 min; bench/README.md)
#
# Needs only Python 3.11+, make and git. The install step reruns only when
# pyproject.toml changes (the stamp file lives inside .venv).

PYTHON ?= $(shell command -v python3.11 2>/dev/null || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.baas-installed

# The PostgreSQL run (test databases are test_test_<pid>, made and dropped by pytest).
PG_TEST_ENV := DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test \
	REDIS_URL=redis://127.0.0.1:6379/15 \
	BAAS_SECRET_KEY=test-only-secret-7c4e1a9b3f6d2e8a5c0b7d4f1e9a3c6b
# e.g. make test-sqlite PYTEST_ARGS="-x tests/foundation"; the slowest tests are listed to keep CI quick.
PYTEST_ARGS ?= -q --durations=10 --ignore=tests/deploy
# The SQLite run: embedded mode, whatever the calling shell has set.
SQLITE_TEST_ENV := env -u DATABASE_URL -u REDIS_URL -u BAAS_SECRET_KEY -u BAAS_DIR

.PHONY: run test lint fmt setup test-sqlite test-postgres bench

setup: $(STAMP)

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@

run: setup
	$(BIN)/baas serve --http 127.0.0.1:8090 --dir ./baas_data

lint: setup
	$(BIN)/ruff check baas tests
	$(BIN)/ruff format --check baas tests
	$(BIN)/mypy baas

fmt: setup
	$(BIN)/ruff check --fix baas tests
	$(BIN)/ruff format baas tests

test-sqlite: setup
	$(SQLITE_TEST_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

test-postgres: setup
	$(PG_TEST_ENV) $(BIN)/python -m pytest $(PYTEST_ARGS)

# The console's browser tests drive Debian's Chromium (never a downloaded build).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium

test: lint | $(CHROMIUM)
	$(MAKE) --no-print-directory test-sqlite
	$(MAKE) --no-print-directory test-postgres

# Its own CI step (.ci/run), after make test: always PostgreSQL; installs Debian's nginx if missing.
.PHONY: test-deploy
test-deploy: setup
	$(PG_TEST_ENV) timeout 900 $(BIN)/python -m pytest -q tests/deploy

# Not part of `make test`: timed, and needs the machine to itself. BENCH_ARGS=--quick for a short pass.
bench: setup
	@$(BIN)/python -c "import psutil" 2>/dev/null || $(BIN)/python -m pip install --quiet --disable-pip-version-check psutil
	$(BIN)/python -m bench.run $(BENCH_ARGS)

# The docs site; tests/docs builds it too and runs every code sample in it.
.PHONY: docs
docs: setup
	$(BIN)/mkdocs build --strict --quiet
