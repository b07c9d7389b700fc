# Autoscaler (gateway/gateway/autoscaler): a load step 1 -> 16 clients -> 0 on the process runtime.
.PHONY: bench-autoscale

# Time to the target replica count, p50/p99 before/during/after, failed requests, time back
# to min; writes bench/results/autoscale.png. BENCH_STEP_S / BENCH_CLIENTS to change the step.
bench-autoscale: setup
	uv run python bench/autoscale/bench_autoscale.py

BENCH_TARGETS += bench-autoscale
