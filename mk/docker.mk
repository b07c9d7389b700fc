# Docker side: engine setup, images, the compose stack, replica benchmark.
# `make docker-setup` is what `make test` (and CI) run before the Docker tests.
DOCKER_SCRIPTS := scripts/docker
COMPOSE_FILES ?= -f compose.yaml -f compose.dev.yaml
STACK_NAME ?= consul-gateway
COMPOSE := docker compose $(COMPOSE_FILES) -p $(STACK_NAME)
# The gateway container joins the socket's group to drive the engine (see docs/docker.md).
DOCKER_SOCKET_GID = $(shell stat -c %g /var/run/docker.sock 2>/dev/null || echo 0)
N ?= 2

.PHONY: docker-setup images wheels up down scale logs docker-clean bench-replicas

docker-setup: setup
	$(DOCKER_SCRIPTS)/setup.sh

wheels: setup
	$(DOCKER_SCRIPTS)/wheels.sh

images: setup
	$(DOCKER_SCRIPTS)/engine.sh
	$(DOCKER_SCRIPTS)/base-image.sh
	$(DOCKER_SCRIPTS)/images.sh

# compose.dev.yaml = this machine (no registry): dev agent instead of hashicorp/consul, local base.
# Elsewhere: make up COMPOSE_FILES="-f compose.yaml"
# The images are built once by docker-setup (scripts/docker/images.sh); compose must not build
# them again (compose.dev.yaml's pull_policy: build would, sending the wheel context per image).
# The management token: GATEWAY_MANAGEMENT_TOKEN, else .env, else one generated once and kept
# in build/compose-token (printed, like make run does).
up: docker-setup
	@token="$$(scripts/docker/token.sh)"; \
	STACK_NAME=$(STACK_NAME) DOCKER_SOCKET_GID=$(DOCKER_SOCKET_GID) GATEWAY_MANAGEMENT_TOKEN="$$token" \
	  $(COMPOSE) up -d --wait --no-build && \
	echo "gateway: http://localhost:$${GATEWAY_PORT:-8000}  management token: $$token"

down:
	STACK_NAME=$(STACK_NAME) DOCKER_SOCKET_GID=$(DOCKER_SOCKET_GID) $(COMPOSE) down -v --remove-orphans
	$(DOCKER_SCRIPTS)/cleanup.sh --stack $(STACK_NAME)

scale:
	@token="$$(scripts/docker/token.sh)"; \
	STACK_NAME=$(STACK_NAME) DOCKER_SOCKET_GID=$(DOCKER_SOCKET_GID) GATEWAY_MANAGEMENT_TOKEN="$$token" \
	  $(COMPOSE) up -d --wait --no-build --no-recreate --scale gdp-growth-model=$(N)

logs:
	STACK_NAME=$(STACK_NAME) DOCKER_SOCKET_GID=$(DOCKER_SOCKET_GID) $(COMPOSE) logs -f --tail=100

# Leftovers of killed test runs (stacks named cgtest-*); never touches images.
docker-clean:
	$(DOCKER_SCRIPTS)/cleanup.sh --stack-prefix cgtest-

bench-replicas: docker-setup
	uv run python bench/replicas/launch_to_serving.py
	uv run python bench/replicas/scale_1_to_5.py   # docker vs swarm runtime, 1 -> 5 (docs/swarm.md)
BENCH_TARGETS += bench-replicas
