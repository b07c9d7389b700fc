# Orchestrated flows: tests and the orchestration-overhead benchmark.
.PHONY: test-flows bench-flows

test-flows: setup
	uv run pytest tests/gateway/orchestrator $(PYTEST_ARGS)

bench-flows: setup
	uv run python bench/flows/chain_overhead.py --runs $${FLOWS_BENCH_RUNS:-150} --rounds $${FLOWS_BENCH_ROUNDS:-10}
BENCH_TARGETS += bench-flows
