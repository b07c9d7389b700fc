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
	@echo "make run        - the whole stack as local processes (dev agent :8500, echo :8001,"
	@echo "                  model replicas :8101/:8102, gateway :8000); Ctrl-C stops it"
	@echo "make test       - install everything needed (uv, deps, Docker engine, chromium) and run the whole suite"
	@echo "make test-fast  - everything but the Docker tests"
	@echo "make lint       - ruff + mypy strict (make format: ruff format + fixes)"
	@echo "make fuzz       - schemathesis against the gateway, model and echo OpenAPI on a live stack"
	@echo "make bench      - all benchmarks, then a PASS/MISS summary: $(BENCH_TARGETS)"
	@echo "make train      - retrain the models (make train-check: compare with the committed ones)"
	@echo "make images     - build the Docker images (make docker-setup: engine + images)"
	@echo "make up / down / logs / scale N=3       - the compose stack (docs/docker.md)"
	@echo "make up-swarm / down-swarm              - the stack on Docker Swarm (docs/swarm.md)"
	@echo "make run-gateway / run-model / devagent - one component in the foreground"

# uv and the locked dependencies; re-synced when pyproject.toml or uv.lock change.
setup: .venv/.synced
.venv/.synced: pyproject.toml uv.lock
	@scripts/install-uv.sh
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
