#!/usr/bin/env bash
# Print the management token for the compose stack: $GATEWAY_MANAGEMENT_TOKEN, else the one in
# .env, else one generated once and kept in build/compose-token (so `make up` and `make scale`
# agree, and the gateway's management routes are on with a known token).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
if [ -n "${GATEWAY_MANAGEMENT_TOKEN:-}" ]; then printf '%s\n' "$GATEWAY_MANAGEMENT_TOKEN"; exit 0; fi
env_token="$(sed -n "s/^GATEWAY_MANAGEMENT_TOKEN=//p" "$REPO_ROOT/.env" 2>/dev/null | tail -n1 || true)"
if [ -n "$env_token" ]; then printf '%s\n' "$env_token"; exit 0; fi
file="$REPO_ROOT/build/compose-token"
if [ ! -s "$file" ]; then
  mkdir -p "$(dirname "$file")"
  (umask 077; python3 -c 'import secrets; print(secrets.token_urlsafe(24))' > "$file")
fi
cat "$file"
