# Gateway: tests and the benchmark (gateway vs HAProxy vs a naive FastAPI+httpx proxy).
.PHONY: test-gateway bench-gateway bench-servers run-gateway

BENCH_TARGETS += bench-gateway

test-gateway: setup
	uv run pytest tests/gateway -q

# Installs wrk, haproxy and nginx with apt-get when missing (root or sudo), then runs every
# proxy against the same nginx backends with the same wrk load; prints rps, p50, p99, the
# ratios, added latency at half load and the change-propagation time.
bench-gateway: setup
	uv run python bench/gateway/run.py $(BENCH_GATEWAY_ARGS)
	uv run python bench/gateway/tracing_overhead.py

# The gateway alone (Consul at CONSUL_HTTP_ADDR, default http://127.0.0.1:8500).
run-gateway: setup
	uv run python -m gateway

# HTTP server candidates side by side (uvicorn + our protocol, granian ASGI/RSGI, an own
# httptools protocol; floors and the full /svc path): bench/gateway/README.md. granian is not a
# project dependency: --with adds it for this run only.
bench-servers: setup
	uv run --with granian python bench/gateway/servers.py $(BENCH_SERVERS_ARGS)
