# Two commands set up everything on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# uv installed by pip lands in ~/.local/bin (--user) or the interpreter's scripts folder.
export PATH := $(HOME)/.local/bin:$(shell python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))' 2>/dev/null):$(PATH)
export UV_LINK_MODE ?= copy
# Every test starts real Python processes: keep compiled bytecode, or each start of a
# scikit-learn service recompiles it (seconds of CPU on 2 cores).
export UV_COMPILE_BYTECODE := 1
unexport PYTHONDONTWRITEBYTECODE

# Benchmark targets are contributed by the fragments in mk/ (BENCH_TARGETS += ...).
BENCH_TARGETS :=
include $(wildcard mk/*.mk)

.PHONY: help setup run test test-fast lint format bench

help:
	@echo "make run    - the whole stack as local processes (dev agent, echo, 2 model replicas, gateway)"
	@echo "make test   - install everything needed (uv, deps, Docker engine) and run the whole suite"
	@echo "make lint   - ruff + mypy"
	@echo "make bench  - all benchmarks: $(BENCH_TARGETS)"

# uv and the locked dependencies; re-synced when pyproject.toml or uv.lock change.
setup: .venv/.synced
.venv/.synced: pyproject.toml uv.lock
	@command -v uv >/dev/null 2>&1 || python3 -m pip install --quiet --user uv || python3 -m pip install --quiet uv
	uv sync --frozen --all-extras
	@touch $@

run: setup
	uv run python scripts/run_stack.py

# The Docker tests need an engine: docker-setup installs/starts it (idempotent). Outside CI a
# machine without one still runs the rest (the docker tests then skip, saying why); in CI
# (CI=true) a missing engine fails the run.
test: setup
	@if [ "$${SKIP_DOCKER_SETUP:-0}" != 1 ]; then \
	  $(MAKE) --no-print-directory docker-setup || { [ "$${CI:-}" = true ] && exit 1 || echo "WARNING: no Docker engine; docker tests will skip"; }; \
	fi
	@$(MAKE) --no-print-directory browser-setup || { [ "$${CI:-}" = true ] && exit 1 || echo "WARNING: no chromium; browser tests will skip"; }
	uv run pytest $(PYTEST_ARGS)

# Everything but the Docker tests.
test-fast: setup
	uv run pytest -m "not docker" $(PYTEST_ARGS)

lint: setup
	uv run ruff check .
	uv run ruff format --check .
	uv run mypy servicekit service-discovery/devagent echo-service/echo_service model-service/model_service gateway/gateway gateway/gatewayctl

format: setup
	uv run ruff format .
	uv run ruff check --fix .

# Every benchmark, one after another, then one summary of the targets (PASS/MISS each).
bench: setup
	uv run python bench/summary.py $(BENCH_TARGETS)
