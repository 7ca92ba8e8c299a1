# Two entry points (see README.md): `make demo` and `make test`. Everything else is set-up they need.
PYTHON ?= python3
UV_VERSION := 0.13.9
TOOLS := .venv-tools
UV := $(TOOLS)/bin/uv
VENV := .venv
BIN := $(VENV)/bin
export UV_PYTHON_DOWNLOADS := never
export UV_LINK_MODE := copy
export UV_COMPILE_BYTECODE := 1

.PHONY: demo test lint typecheck unit system-packages bench-scoring lock clean

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

demo: $(VENV)/.synced
	$(BIN)/leadscore demo

lint: $(VENV)/.synced
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(VENV)/.synced
	$(BIN)/mypy src

system-packages:
	@scripts/system-packages.sh

unit: $(VENV)/.synced system-packages
	OMP_WAIT_POLICY=PASSIVE $(BIN)/pytest -q

test: lint typecheck unit

bench-scoring: $(VENV)/.synced
	$(BIN)/python benchmarks/bench_scoring.py

lock: $(UV)
	$(UV) lock --python $(PYTHON)

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache .mypy_cache .ruff_cache
