# `make demo` runs the whole pipeline offline on the bundled sample; `make test` runs the tests.
# Both create ./.venv on first use (CPU PyTorch 2.13.0 first, so no CUDA build is pulled).
VENV   ?= .venv
PY     := $(VENV)/bin/python
PYTEST_ARGS ?=

.DEFAULT_GOAL := check
.PHONY: install demo test lint check chromium bench

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q torch==2.13.0
	$(VENV)/bin/pip install -q -e '.[dev]'
	touch $@

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/ossmetrics --db ossmetrics.duckdb demo

# Browser tests need Debian's chromium; install it when running as root and it is missing.
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; } || echo "chromium not installed: browser tests will be skipped"

test: install chromium
	$(PY) -m pytest -q $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

check: lint test

# the benchmarks compare against PyTorch Geometric's SAGEConv: the `bench` extra
bench: install
	$(VENV)/bin/pip install -q -e '.[bench]'
	for b in benchmarks/bench_*.py; do $(PY) $$b || exit 1; done
