# Docker Swarm: the whole stack with `docker stack deploy` (docs/swarm.md).
# compose.yaml + $(COMPOSE_FILES) overrides + compose.swarm.yaml are merged by `docker compose
# config`, converted to a stack file (scripts/swarm/stackfile.py) and deployed as $(STACK_NAME).
# The management token as for `make up` (scripts/docker/token.sh), printed with the gateway ports.

.PHONY: up-swarm down-swarm swarm-ports

up-swarm: docker-setup
	@token="$$(scripts/docker/token.sh)"; \
	STACK_NAME=$(STACK_NAME) DOCKER_SOCKET_GID=$(DOCKER_SOCKET_GID) GATEWAY_MANAGEMENT_TOKEN="$$token" \
	  scripts/swarm/deploy.sh up $(STACK_NAME) $(COMPOSE_FILES) -f compose.swarm.yaml && \
	echo "management token: $$token"

down-swarm:
	scripts/swarm/deploy.sh down $(STACK_NAME)

swarm-ports:
	@scripts/swarm/deploy.sh ports $(STACK_NAME)
