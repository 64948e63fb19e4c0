# The two commands: `make run` and `make test`. Everything else supports them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 8000
# Test processes (pytest-xdist); each has its own test database. PYTEST_WORKERS=0 runs in one.
PYTEST_WORKERS ?= 2
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test install lint format types pytest bench bench-quick clean demo

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' || \
		{ echo "Python 3.11 or newer is needed (set PYTHON=python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

# The OpenID Connect tests run a real provider (node-oidc-provider) from tests/oidc_provider;
# its packages come from the committed lock file. Without node, everything else still runs
# and those tests fail saying what is missing.
OIDC_TEST_PROVIDER := tests/oidc_provider
OIDC_STAMP := $(OIDC_TEST_PROVIDER)/node_modules/.installed-stamp

$(OIDC_STAMP): $(OIDC_TEST_PROVIDER)/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd $(OIDC_TEST_PROVIDER) && npm ci --no-audit --no-fund --loglevel=error && \
		touch node_modules/.installed-stamp; \
	else \
		echo "node/npm not found: the OpenID Connect sign-in tests need Node.js 20+ (make install again once it is there)"; \
	fi

install: $(STAMP) $(OIDC_STAMP)

demo: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py ensure_signing_certificate

run: demo
	@echo ""
	@echo "  Model Governance is starting on http://$(HOST):$(PORT)/"
	@echo "  Log in as requester, reviewer, compliance, legal, executive, auditor or admin"
	@echo "  (password: $${DEMO_PASSWORD:-governance-demo}). Ctrl-C stops everything."
	@echo ""
	HOST=$(HOST) WEB_PORT=$(PORT) SITE_URL="$${SITE_URL:-http://$(HOST):$(PORT)}" $(BIN)/honcho --procfile Procfile.dev start

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

types: install
	$(BIN)/mypy governance audits

# pytest exits 5 when it collected nothing; make treats any non-zero exit as failure.
pytest: install
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest -n $(PYTEST_WORKERS)

test: lint types pytest

bench: install
	$(BIN)/python bench/run_all.py $(BENCH)

clean:
	rm -rf var/celery var/test-artifacts .pytest_cache .mypy_cache .ruff_cache
