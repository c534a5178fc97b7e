# The two commands of the README: `make run` and `make test`. Both install what they need.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Python keeps the bytecode of the project's modules, and pytest its rewritten test modules,
# even where the shell says not to: every test worker, gunicorn, Celery worker and command the
# tests start imports the same few hundred modules, and compiling them again each time cost
# each worker some 9 s of its start alone.
unexport PYTHONDONTWRITEBYTECODE
# Test processes (pytest-xdist workers), each with its own test database and Chromium.
PYTEST_WORKERS ?= 3
# A test skipped for want of Chromium, PgBouncer, HAProxy or the standards fails the run (0:
# skips are only reported, as in a plain pytest run).
TESTS_FAIL_ON_SKIP ?= 1
# mypy's Django plugin imports the settings, which want a database and Redis URL (without them
# they start the embedded servers); mypy connects to neither, so any well-formed URL does.
MYPY := DATABASE_URL=postgres://mypy@127.0.0.1:5432/mypy REDIS_URL=redis://127.0.0.1:6379/0 $(BIN)/mypy

.PHONY: run test stop install browser lint format messages security

run: install
	$(BIN)/python -m network.run

# The static checks run beside the suite (scripts/run_tests.sh); either failing fails the run.
test: install browser
	TESTS_FAIL_ON_SKIP=$(TESTS_FAIL_ON_SKIP) BIN=$(BIN) sh scripts/run_tests.sh -n $(PYTEST_WORKERS) --dist loadfile --no-loadscope-reorder $(PYTEST_ARGS)

# bandit (no high-severity finding) and pip-audit (no known vulnerability); part of `make test`.
security: install
	BIN=$(BIN) sh scripts/security_checks.sh

stop:
	$(BIN)/python -m network.devservices stop

install: $(VENV)/.installed node_modules/.installed

# uv installs the same packages as pip, in parallel: some 8 s from an empty cache here, where
# pip took 50 s. It does not read pip's configuration: where uv cannot reach the index (one set
# only in pip.conf) or uv itself cannot be had, pip installs them instead.
$(VENV)/.installed: pyproject.toml
	@$(PYTHON) scripts/check_python.py
	$(PYTHON) -m venv $(VENV)
	-$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip install --python $(BIN)/python --native-tls --quiet -e '.[test]' \
		|| $(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $@

node_modules/.installed: package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm is missing: install Node.js 18+ (e.g. apt-get install nodejs npm) and run again."; exit 1; }
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# Debian's Chromium for the browser tests, and its PgBouncer and HAProxy for the tests that run
# through them; installed when missing and this machine allows it.
browser:
	@sh scripts/ensure_chromium.sh
	@sh scripts/ensure_test_servers.sh

lint:
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/lint-imports && $(MYPY)

format:
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

messages:
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore=.venv --ignore=node_modules --ignore=var
	$(BIN)/python manage.py makemessages -d djangojs -l zh_Hans --no-obsolete --ignore=.venv --ignore=node_modules --ignore=var --ignore=static/vendor
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore=.venv --ignore=node_modules
