# Shared helpers for the docker scripts (sourced, not executed).
# Why: every script must fail loudly with a clear message, and share the same names/labels.
set -euo pipefail

DOCKER_LABEL_MANAGED="io.consul-gateway.managed"
DOCKER_LABEL_STACK="io.consul-gateway.stack"
BASE_IMAGE_TAG="${BASE_IMAGE_TAG:-local/bookworm-py:base}"
IMAGE_PREFIX="${IMAGE_PREFIX:-consul-gateway}"
IMAGE_TAG="${IMAGE_TAG:-dev}"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE_DIR="${CONSUL_GATEWAY_STATE_DIR:-$HOME/.cache/consul-gateway}"

log() { printf '[docker-setup] %s\n' "$*" >&2; }
die() { printf '[docker-setup] ERROR: %s\n' "$*" >&2; exit 1; }
need_root() { [ "$(id -u)" = 0 ] || die "$1 needs root (run as root or via sudo)"; }
