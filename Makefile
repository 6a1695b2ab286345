# The two everyday commands are `make run` and `make test`; see README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000

.PHONY: venv run run-split test lint api-fuzz bench chaos migrate clean

venv: $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 12))' || { \
	  echo "This project needs Python 3.12 or newer (Django 6); '$(PYTHON)' is $$($(PYTHON) --version 2>&1)."; \
	  echo "With pyenv, the .python-version file selects 3.13.0; or run: make PYTHON=python3.13 ..."; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

migrate: venv
	DEBUG=$${DEBUG:-1} $(BIN)/python manage.py migrate --noinput

# The Procfile's web, worker and beat (scripts/run_dev.py): it says where to go once the web server
# is up, and Ctrl-C stops them all cleanly. `make run PORT=8001` serves on another port.
run: migrate
	@rm -rf var/prometheus
	@DEBUG=$${DEBUG:-1} PAYMENTS_FAKE_PROVIDER_FAULTS=$${PAYMENTS_FAKE_PROVIDER_FAULTS:-1} PATH=$(CURDIR)/$(BIN):$$PATH \
	  $(BIN)/python scripts/run_dev.py Procfile --port $(PORT)

run-split: venv
	scripts/run-split

test: venv
	$(BIN)/pytest $(PYTEST_ARGS)

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DEBUG=1 $(BIN)/mypy
	DEBUG=1 $(BIN)/python manage.py makemigrations --check --dry-run
	DEBUG=1 $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null
	DEBUG=1 $(BIN)/python manage.py eventbus schemas --check

api-fuzz: venv
	.ci/api-fuzz

bench: venv
	$(BIN)/python -m bench.run $(if $(PEERS),--peers)

chaos: venv
	$(BIN)/python -m chaos.run $(CHAOS_ARGS)

clean:
	rm -rf var $(VENV)
