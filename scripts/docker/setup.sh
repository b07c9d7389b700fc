#!/usr/bin/env bash
# The one entry point CI calls before the Docker tests (idempotent; warm run < 2 s):
# engine (install/start, docker0 check), local base image, compose plugin, the four images.
# Exits non-zero with a message on anything missing. SKIP_IMAGES=1 skips the image builds.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
here="$(dirname "${BASH_SOURCE[0]}")"
t0=$(date +%s)
"$here/engine.sh"
"$here/base-image.sh"
"$here/compose-plugin.sh"
if [ "${SKIP_IMAGES:-0}" != 1 ]; then "$here/images.sh"; fi
log "docker setup done in $(( $(date +%s) - t0 )) s"
