# Hardening (issue #10): the memory benchmark against hostile names.
.PHONY: bench-hostile-names

# 200k requests with distinct unknown service names: RSS growth <= 10 MB, /metrics < 1 MB.
bench-hostile-names: setup
	uv run python bench/hardening/unknown_names_memory.py $(BENCH_HOSTILE_ARGS)

BENCH_TARGETS += bench-hostile-names
