# The two set-up commands: `make run` and `make test` create .venv and install the project.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck schema bench bench-dashboard clean

SCHEMA_OUT ?= schema.graphql

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# The CIS simulator on 8001 and the gateway on 8000, with demo logins; Ctrl-C stops both.
run: $(STAMP)
	$(BIN)/coop-gateway demo

test: $(STAMP) lint typecheck
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The exported SDL; a test fails when the committed schema.graphql is out of date.
schema: $(STAMP)
	$(BIN)/python -m schema.export $(SCHEMA_OUT)

bench: $(STAMP)
	$(BIN)/python bench/cis_parse.py
	$(BIN)/python bench/schema_execution.py

# Starts a simulator and a gateway of its own on free ports; takes a few minutes.
bench-dashboard: $(STAMP)
	$(BIN)/python bench/dashboard.py

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
