# Two commands matter: `make demo` and `make test`. Everything else a user runs is `chainboard ...`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test install lint format clean

$(STAMP): pyproject.toml package.json package-lock.json
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	npm ci --no-audit --no-fund --loglevel=error
	touch $(STAMP)

install: $(STAMP)
	$(BIN)/chainboard compile-catalog

demo: install
	mkdir -p var
	$(BIN)/chainboard migrate --no-input
	$(BIN)/chainboard load-demo
	$(BIN)/chainboard demo-users
	$(BIN)/chainboard serve

test: install
	bash scripts/system-packages.sh
	bash scripts/run-tests.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

clean:
	rm -rf $(VENV) node_modules var/test-*
