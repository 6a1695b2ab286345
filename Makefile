# The two everyday commands are `make run` and `make test`; see README.md.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

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

run: migrate
	rm -rf var/prometheus
	@echo "Admin:   http://127.0.0.1:8000/admin/  (create a login: $(BIN)/python manage.py createsuperuser)"
	@echo "Bus:     $(BIN)/python manage.py eventbus status"
	DEBUG=$${DEBUG:-1} PAYMENTS_FAKE_PROVIDER_FAULTS=$${PAYMENTS_FAKE_PROVIDER_FAULTS:-1} PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/honcho start -f Procfile

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
