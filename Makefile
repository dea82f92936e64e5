# lowalp — the two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
WEB_STAMP := $(VENV)/.installed-web

.PHONY: run test check lint typecheck format install install-web system-deps node-deps swagger-ui examples bench evidence clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# everything: the web app, the screen (DuckDB, Spark) and the development tools
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP) $(WEB_STAMP)

# only what the web app and `lowalp assess` need (no screen, Spark or development tools)
$(WEB_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[web,fhir,parquet]'
	touch $(WEB_STAMP)

install: $(STAMP)

install-web: $(WEB_STAMP)

## run: install what the web app needs, then start it (web app, REST API, CDS Hooks) on 127.0.0.1:8000
run: $(WEB_STAMP)
	@echo "lowalp: the web app is at http://127.0.0.1:8000/ (Ctrl-C stops it); the command line is .venv/bin/lowalp (or '. .venv/bin/activate', then lowalp)"
	$(BIN)/lowalp serve --host 127.0.0.1 --port 8000

## examples: assess the bundled example cases and print the reports
examples: $(WEB_STAMP)
	@for f in examples/*.json; do \
		echo "=== $$f"; $(BIN)/lowalp assess "$$f" || exit 1; echo; \
	done

## test: install (Python, system and npm packages), lint, type-check and run every test
test: check system-deps node-deps
	$(BIN)/pytest -q src tests -m "not browser"
	$(BIN)/pytest -q tests/browser -m browser

system-deps:
	bash scripts/install-system-deps.sh

# axe-core for the browser tests' accessibility checks and the FHIR R4 JSON Schema and
# StructureDefinitions for tests/render/test_fhir_validated.py, at the versions package-lock.json pins
node-deps: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts

## evidence: regenerate docs/evidence.md (every rule's weights and their provenance) from knowledge/
evidence: $(WEB_STAMP)
	$(BIN)/lowalp knowledge --evidence --format markdown > docs/evidence.md

## swagger-ui: copy the pinned Swagger UI into src/lowalp/web/static/swagger-ui (for /docs)
swagger-ui:
	bash scripts/vendor-swagger-ui.sh

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
	rm -rf $(VENV) node_modules build *.egg-info src/*.egg-info .pytest_cache .mypy_cache .ruff_cache
