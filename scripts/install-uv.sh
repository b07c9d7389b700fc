#!/usr/bin/env bash
# uv from PyPI when it is missing (used by `make setup` and .ci/run). Idempotent.
# A stock Debian 12 has no pip (python3-pip) and refuses pip installs into its Python
# (PEP 668, "externally-managed-environment"): pip comes from apt, and uv goes to
# ~/.local/bin with --user --break-system-packages (only the user's own folder is written).
set -euo pipefail
export PATH="$HOME/.local/bin:$PATH"
if command -v uv >/dev/null 2>&1; then exit 0; fi

if ! python3 -m pip --version >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "[install-uv] installing Debian's python3-pip" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    echo "[install-uv] installing Debian's python3-pip" >&2
    sudo apt-get update -qq
    sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-pip >/dev/null
  else
    echo "[install-uv] no pip: install python3-pip (apt-get install python3-pip) or uv itself" >&2
    exit 1
  fi
fi

# --user first (~/.local/bin); PEP 668 interpreters need --break-system-packages for it; a
# virtualenv's interpreter refuses --user, so last a plain install into that interpreter.
python3 -m pip install --quiet --user uv 2>/dev/null \
  || python3 -m pip install --quiet --user --break-system-packages uv 2>/dev/null \
  || python3 -m pip install --quiet uv

scripts="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
if ! command -v uv >/dev/null 2>&1 && [ ! -x "$scripts/uv" ]; then
  echo "[install-uv] uv installed but not found in ~/.local/bin or $scripts" >&2
  exit 1
fi
