# Traffic policy: declared routes, version splits, limits (gateway/gateway/policy, routing).
.PHONY: bench-routing

# 1,000 declared prefix routes over 10,000 instances: lookup per request (target <= 2 us CPU)
# and routes-view rebuild after one change (target <= 50 ms CPU); prints PASS/MISS.
bench-routing:
	uv run python bench/routing/route_table_bench.py

BENCH_TARGETS += bench-routing
