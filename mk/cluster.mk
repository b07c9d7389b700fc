# Several gateway processes: workers of one instance, instances sharing one Consul (issue #11).
.PHONY: test-cluster bench-workers

BENCH_TARGETS += bench-workers

test-cluster: setup
	uv run pytest tests/gateway/cluster tests/gateway/workers tests/gateway/consul_client tests/gateway/orchestrator/test_shared_flows.py tests/gateway/replicas/test_process_replicas_shared.py -q

# GATEWAY_WORKERS=1 vs 2 side by side: rps, CPU per request, each worker's share of requests.
bench-workers: setup
	uv run python bench/gateway/workers.py $(BENCH_WORKERS_ARGS)
