# Ombud: one command each to run, test and lint. `make help` lists them.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.DEFAULT_GOAL := help
.PHONY: help run demo test lint format messages bench clean

help:  ## list the commands
	@grep -E '^[a-z]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-8s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)  ## run Ombud on http://127.0.0.1:8000/ (SQLite under ./var)
	$(BIN)/ombud serve

demo: $(STAMP)  ## run Ombud with the invented demo organisation and print the sign-ins
	$(BIN)/ombud demo

test: $(STAMP)  ## run the whole test suite (PostgreSQL too when DATABASE_URL is set)
	scripts/ensure-system-packages
	OMBUD_DATA_DIR=$${OMBUD_DATA_DIR:-var/test} $(BIN)/pytest

lint: $(STAMP)  ## ruff (lint and format check) and mypy
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy

format: $(STAMP)  ## reformat the code with ruff
	$(BIN)/ruff format src tests bench
	$(BIN)/ruff check --fix src tests bench

messages: $(STAMP)  ## update the Chinese translation from the sources, compile it, list what is untranslated
	scripts/ensure-system-packages
	$(BIN)/python scripts/messages.py

BENCH_DB ?= postgresql://postgres@127.0.0.1:5432/postgres

bench: $(STAMP)  ## run every bench in bench/ (long: see BENCHMARKS.md; BENCH_DB for PostgreSQL)
	set -e; for bench in bench/*.py; do \
		echo "== $$bench"; \
		case $$bench in \
			bench/deadline_sweep.py) $(BIN)/python $$bench --database-url $(BENCH_DB) ;; \
			bench/generate.py) OMBUD_DATA_DIR=var/bench DATABASE_URL= $(BIN)/python $$bench ;; \
			bench/intake_vs_bare.py) $(BIN)/python $$bench --slowest 16 && \
				$(BIN)/python $$bench --slowest 16 --database-url $(BENCH_DB) ;; \
			*) $(BIN)/python $$bench ;; \
		esac; \
	done

clean:  ## remove the virtual environment and caches (keeps ./var)
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
