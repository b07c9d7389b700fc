#!/usr/bin/env bash
# Build the four images offline (docker build --network none) from the staged wheels.
#   scripts/docker/images.sh [gateway model-service echo-service service-discovery]
# Tags: $IMAGE_PREFIX/<svc>:$IMAGE_TAG (default consul-gateway/<svc>:dev).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

ALL=(service-discovery echo-service model-service gateway)
SVCS=("$@"); [ "${#SVCS[@]}" -gt 0 ] || SVCS=("${ALL[@]}")
BASE="${BASE_IMAGE:-$BASE_IMAGE_TAG}"
docker image inspect "$BASE" >/dev/null 2>&1 || die "base image $BASE missing: run scripts/docker/base-image.sh (or set BASE_IMAGE)"

needs=()
for svc in "${SVCS[@]}"; do
  case "$svc" in
    service-discovery|echo-service) needs+=(core) ;;
    gateway) needs+=(gateway) ;;
    model-service) needs+=(model)
      [ -d "$REPO_ROOT/model-service/predictive_models" ] || die "model-service/predictive_models/ missing: the model image must contain the artifacts" ;;
    *) die "unknown image '$svc' (one of ${ALL[*]})" ;;
  esac
done
"$(dirname "${BASH_SOURCE[0]}")/wheels.sh" $(printf '%s\n' "${needs[@]}" | sort -u)

rev="$(git -C "$REPO_ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)"
for svc in "${SVCS[@]}"; do
  tag="$IMAGE_PREFIX/$svc:$IMAGE_TAG"
  previous="$(docker image inspect --format '{{.Id}}' "$tag" 2>/dev/null || true)"
  start=$(date +%s%N)
  # The 28.x CLI has no buildx and prints a "legacy builder is deprecated" notice: harmless.
  DOCKER_BUILDKIT=0 docker build --network none --quiet -f "$REPO_ROOT/$svc/Dockerfile" \
    --build-arg BASE_IMAGE="$BASE" --label "io.consul-gateway.revision=$rev" \
    -t "$tag" "$REPO_ROOT" 2> >(grep -v -e 'DEPRECATED' -e 'legacy builder' -e 'BuildKit' -e 'buildx' -e '^ *$' -e 'docs.docker.com' -e 'environment-variable' >&2) >/dev/null \
    || die "docker build of $tag failed"
  log "image $tag built in $(( ($(date +%s%N) - start) / 1000000 )) ms"
  # The rebuild left the image it replaced untagged: remove that one image (if nothing else
  # tags or uses it), never a blanket prune that would take other checkouts' images too.
  current="$(docker image inspect --format '{{.Id}}' "$tag")"
  if [ -n "$previous" ] && [ "$previous" != "$current" ] \
     && [ "$(docker image inspect --format '{{len .RepoTags}}' "$previous" 2>/dev/null)" = 0 ]; then
    docker image rm "$previous" >/dev/null 2>&1 || true
  fi
done
