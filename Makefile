# lowalp — the two commands a new machine needs: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test check lint typecheck format install system-deps node-deps swagger-ui examples bench clean

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

## test: install (Python, system and npm packages), lint, type-check and run every test
test: check system-deps node-deps
	$(BIN)/pytest -q src tests -m "not browser"
	$(BIN)/pytest -q tests/browser -m browser

system-deps:
	bash scripts/install-system-deps.sh

# axe-core for the browser tests' accessibility checks, at the version package-lock.json pins
node-deps: node_modules/.package-lock.json

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --ignore-scripts

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
