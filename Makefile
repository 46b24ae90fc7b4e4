# Every target installs what it needs on a fresh machine; re-running skips what is already done.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
BANK ?= banks/sample
export MOVEMIRROR_HOME ?= $(HOME)/.cache/movemirror

.PHONY: setup setup-python setup-node setup-models setup-browser setup-nginx test lint demo bench clean

setup: setup-python setup-node setup-models

setup-python: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,bench,coverage,cluster]'
	touch $@

setup-node:
	bash scripts/setup_node.sh

setup-models: setup-python setup-node
	bash scripts/setup_models.sh

setup-browser: setup-python
	bash scripts/setup_browser.sh

setup-nginx:
	bash scripts/setup_nginx.sh

# The same three checks run from .pre-commit-config.yaml.
lint: setup-python setup-node
	$(VENV)/bin/ruff check src tests
	$(VENV)/bin/mypy
	web/node_modules/.bin/eslint --config web/eslint.config.mjs src/movemirror/server/static/js

# numba's kernels compile into its cache (tests/warm_numba.py, two parts at once) beside the
# lint, on the cores it leaves idle, rather than one core at a time during the tests.
test: setup setup-browser setup-nginx
	$(PY) tests/warm_numba.py server & server=$$!; \
	$(PY) tests/warm_numba.py read-only & read_only=$$!; \
	$(MAKE) --no-print-directory lint; lint=$$?; \
	wait $$server && wait $$read_only && exit $$lint
	$(VENV)/bin/pytest -q --durations=25

demo: setup
	bash scripts/demo.sh "$(BANK)"

bench: setup
	$(VENV)/bin/movemirror bench search --out bench-results

clean:
	rm -rf $(VENV) web/node_modules .pytest_cache
