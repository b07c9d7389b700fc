#!/usr/bin/env bash
# Headless Chromium for the browser tests (tests/browser): Debian's package, driven by
# Playwright against the system browser; no browser download. Idempotent.
set -euo pipefail
if command -v chromium >/dev/null 2>&1; then exit 0; fi
if [ "$(id -u)" != 0 ]; then echo "[browser-setup] chromium missing and not root: apt-get install chromium" >&2; exit 1; fi
echo "[browser-setup] installing Debian's chromium (~1 min)" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null
command -v chromium >/dev/null 2>&1
