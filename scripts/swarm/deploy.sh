#!/usr/bin/env bash
# The stack on Docker Swarm (docs/swarm.md).
#   deploy.sh up STACK -f compose.yaml [-f override ...]   render, convert, deploy, wait, print ports
#   deploy.sh down STACK                                    docker stack rm and wait until nothing is left
#   deploy.sh ports STACK                                   host ports of the gateway tasks
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
cmd="${1:?up|down|ports}"; stack="${2:?stack name}"; shift 2
log() { echo "[swarm] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
WAIT="${SWARM_WAIT_SECONDS:-180}"

gateway_ports() {
  local ids; ids="$(docker service ps -q --filter desired-state=running "${stack}_gateway" 2>/dev/null || true)"
  [ -n "$ids" ] || return 0
  # shellcheck disable=SC2086
  docker inspect --format '{{range .Status.PortStatus.Ports}}{{.PublishedPort}}{{"\n"}}{{end}}' $ids | grep -v '^$' | sort -u || true
}

case "$cmd" in
  up)
    state="$(docker info --format '{{.Swarm.LocalNodeState}}')"
    if [ "$state" != active ]; then
      log "this engine is not in a swarm: initialising a single-node swarm (docker swarm init)"
      docker swarm init >/dev/null
    fi
    mkdir -p "$ROOT/build/swarm"
    file="$ROOT/build/swarm/$stack.stack.json"
    # compose renders env files, defaults and overrides; the converter makes a stack file of it.
    (cd "$ROOT" && docker compose -p "$stack" "$@" config --format json 2>/dev/null) \
      | python3 "$HERE/stackfile.py" > "$file"
    log "deploying stack $stack ($file)"
    detach=(); docker stack deploy --help 2>/dev/null | grep -q -- '--detach' && detach=(--detach=true)  # CLI >= 26
    docker stack deploy --resolve-image never "${detach[@]}" -c "$file" "$stack" >/dev/null
    deadline=$(( $(date +%s) + WAIT ))
    while :; do
      pending="$(docker stack services "$stack" --format '{{.Name}} {{.Replicas}}' \
        | awk '{split($2, r, "/"); if (r[1] != r[2]) print $1}')"
      [ -z "$pending" ] && break
      [ "$(date +%s)" -lt "$deadline" ] || die "not converged within ${WAIT}s: $pending (docker stack ps $stack)"
      sleep 1
    done
    log "stack $stack is up; gateway tasks listen on host ports:"
    for p in $(gateway_ports); do echo "  http://localhost:$p"; done
    ;;
  down)
    docker stack rm --detach=false "$stack" >/dev/null 2>&1 || docker stack rm "$stack" >/dev/null 2>&1 || true
    deadline=$(( $(date +%s) + WAIT ))
    # stack rm returns before the tasks' containers are gone; networks go last.
    ns="label=com.docker.stack.namespace=$stack"
    while [ -n "$(docker service ls -q --filter "$ns")$(docker ps -aq --filter "$ns")$(docker network ls -q --filter "$ns")" ]; do
      [ "$(date +%s)" -lt "$deadline" ] || die "stack $stack not gone within ${WAIT}s"
      sleep 1
    done
    "$ROOT/scripts/docker/cleanup.sh" --stack "$stack" >/dev/null
    log "stack $stack removed"
    ;;
  ports) gateway_ports ;;
  *) die "unknown command $cmd" ;;
esac
