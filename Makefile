# lowalp — the two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint typecheck format install system-deps examples bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## run: install, then start the web app, REST API and CDS Hooks service on 127.0.0.1:8000
run: $(STAMP)
	$(BIN)/lowalp serve --host 127.0.0.1 --port 8000

## examples: assess the bundled example cases and print the reports
examples: $(STAMP)
	@for f in examples/*.json; do \
		echo "=== $$f"; $(BIN)/lowalp assess "$$f" || exit 1; echo; \
	done

## test: install (Python and system packages), lint, type-check and run every test
test: check system-deps
	$(BIN)/pytest -q src tests -m "not browser"
	$(BIN)/pytest -q tests/browser -m browser

system-deps:
	bash scripts/install-system-deps.sh

check: lint typecheck

lint: $(STAMP)
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/ruff check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks
	$(BIN)/ruff check --fix src tests benchmarks

bench: $(STAMP)
	$(BIN)/python benchmarks/assess.py

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
