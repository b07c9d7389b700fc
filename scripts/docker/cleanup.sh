#!/usr/bin/env bash
# Remove what this project created, by label only (never by name, never `system prune`):
#   cleanup.sh --stack NAME        containers/networks/volumes with io.consul-gateway.stack=NAME
#   cleanup.sh --stack-prefix P    every stack whose name starts with P (tests use "cgtest-")
#   cleanup.sh --all               everything labelled io.consul-gateway.managed=true
# Images are kept (rebuilding the base costs ~75 s).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

mode="${1:-}"; arg="${2:-}"
case "$mode" in
  --stack) [ -n "$arg" ] || die "--stack needs a name" ;;
  --stack-prefix) [ -n "$arg" ] || die "--stack-prefix needs a prefix" ;;
  --all) ;;
  *) die "usage: cleanup.sh --stack NAME | --stack-prefix PREFIX | --all" ;;
esac
docker info >/dev/null 2>&1 || { log "no engine answering: nothing to clean"; exit 0; }

# Lines "id stack" of every managed object of one kind.
list() {
  local kind="$1" fmt
  case "$kind" in
    container) fmt='{{.ID}} {{.Label "io.consul-gateway.stack"}}'
               docker ps -a --filter "label=$DOCKER_LABEL_MANAGED=true" --format "$fmt" ;;
    network)   fmt='{{.ID}} {{.Label "io.consul-gateway.stack"}}'
               docker network ls --filter "label=$DOCKER_LABEL_MANAGED=true" --format "$fmt" ;;
    service)   fmt='{{.ID}} {{.Label "io.consul-gateway.stack"}}'   # Swarm (docs/swarm.md)
               [ "$(docker info --format '{{.Swarm.ControlAvailable}}')" = true ] || return 0
               docker service ls --filter "label=$DOCKER_LABEL_MANAGED=true" --format "$fmt" ;;
    volume)    fmt='{{.Name}} {{.Label "io.consul-gateway.stack"}}'
               docker volume ls --filter "label=$DOCKER_LABEL_MANAGED=true" --format "$fmt" ;;
  esac
}
select_ids() {
  while read -r id stack; do
    case "$mode" in
      --all) echo "$id" ;;
      --stack) [ "$stack" = "$arg" ] && echo "$id" ;;
      --stack-prefix) [[ "$stack" == "$arg"* ]] && echo "$id" ;;
    esac
  done
  return 0
}
mapfile -t services < <(list service | select_ids)
if [ "${#services[@]}" -gt 0 ]; then
  log "removing ${#services[@]} swarm service(s)"; docker service rm "${services[@]}" >/dev/null
fi
mapfile -t containers < <(list container | select_ids)
if [ "${#containers[@]}" -gt 0 ]; then
  log "removing ${#containers[@]} container(s)"; docker rm -f -v "${containers[@]}" >/dev/null
fi
mapfile -t networks < <(list network | select_ids)
if [ "${#networks[@]}" -gt 0 ]; then
  log "removing ${#networks[@]} network(s)"; docker network rm "${networks[@]}" >/dev/null
fi
mapfile -t volumes < <(list volume | select_ids)
if [ "${#volumes[@]}" -gt 0 ]; then
  log "removing ${#volumes[@]} volume(s)"; docker volume rm "${volumes[@]}" >/dev/null
fi
exit 0
