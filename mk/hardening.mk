# Hardening (issue #10): the fuzz run and the memory benchmark against hostile names.
.PHONY: fuzz bench-hostile-names

# schemathesis against the gateway, model and echo OpenAPI on a live stack started on free
# loopback ports; fails on any 500/undocumented 5xx or schema violation. FUZZ_EXAMPLES=N cases
# per operation (default 8). `make test` runs it too (tests/integration/test_fuzz.py).
fuzz: setup
	uv run pytest tests/integration/test_fuzz.py -q $(PYTEST_ARGS)

# 200k requests with distinct unknown service names: RSS growth <= 10 MB, /metrics < 1 MB.
bench-hostile-names: setup
	uv run python bench/hardening/unknown_names_memory.py $(BENCH_HOSTILE_ARGS)

BENCH_TARGETS += bench-hostile-names
