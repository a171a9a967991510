# Partner Hub. `make demo` and `make test` work on a fresh machine with Python 3.11.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
DEMO_CUSTOMERS ?= 300
export DJANGO_SETTINGS_MODULE ?= partnerhub.settings.dev

.PHONY: install demo serve worker test lint typecheck test-sqlite test-postgres test-browser bench messages clean

$(BIN)/partnerhub: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@

install: $(BIN)/partnerhub

messages: install
	$(BIN)/django-admin compilemessages --ignore=.venv --ignore=var >/dev/null

demo: install messages
	$(BIN)/partnerhub migrate
	$(BIN)/partnerhub demo --customers $(DEMO_CUSTOMERS) --seed 1 --reset
	PORT=$(PORT) $(BIN)/partnerhub runall

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

# SQLite whatever the environment names: PARTNERHUB_TEST_POSTGRES would move every alias.
test-sqlite: install messages
	PARTNERHUB_TEST_POSTGRES= DJANGO_SETTINGS_MODULE=partnerhub.settings.test $(BIN)/pytest -m "not browser and not postgresql" -q

# Runs the same suite on PostgreSQL when PARTNERHUB_TEST_POSTGRES names a server.
test-postgres: install messages
	@if [ -n "$$PARTNERHUB_TEST_POSTGRES" ]; then \
		DJANGO_SETTINGS_MODULE=partnerhub.settings.test $(BIN)/pytest -m "not browser" -q; \
	else echo "PARTNERHUB_TEST_POSTGRES is not set: PostgreSQL run skipped"; fi

# Browser tests run when Chromium is installed (CI requires it: PARTNERHUB_REQUIRE_BROWSER=1).
test-browser: install messages
	@if command -v chromium >/dev/null; then \
		DJANGO_SETTINGS_MODULE=partnerhub.settings.test $(BIN)/pytest -m browser -q; \
	elif [ -n "$$PARTNERHUB_REQUIRE_BROWSER" ]; then echo "chromium is required but missing"; exit 1; \
	else echo "chromium not found: browser tests skipped"; fi

test: lint typecheck test-sqlite test-postgres test-browser

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf var
