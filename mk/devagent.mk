# Consul-compatible dev agent (service-discovery/devagent).
.PHONY: devagent test-devagent bench-discovery lint-devagent

DEVAGENT_PORT ?= 8500

# Run the agent in the foreground (Ctrl-C to stop); UI at http://127.0.0.1:$(DEVAGENT_PORT)/ui/
devagent:
	uv run python -m devagent --port $(DEVAGENT_PORT)

test-devagent:
	uv run pytest -q tests/devagent

lint-devagent:
	uv run ruff check service-discovery tests/devagent bench/discovery
	uv run mypy service-discovery/devagent

# 1,000 instances: health query p50/p99 (target p99 <= 10 ms) and blocking wake-up (<= 50 ms).
bench-discovery:
	uv run python bench/discovery/bench_discovery.py

BENCH_TARGETS += bench-discovery
