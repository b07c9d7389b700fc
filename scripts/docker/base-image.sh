#!/usr/bin/env bash
# Build the local Python base image (no registry here): debootstrap minbase + python3/venv,
# trimmed, then `docker import`. Skipped when the tag exists (cold ~75 s, warm ~10 ms).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

if docker image inspect "$BASE_IMAGE_TAG" >/dev/null 2>&1; then
  log "base image $BASE_IMAGE_TAG present (cached)"; exit 0
fi
need_root "debootstrap"
command -v debootstrap >/dev/null || die "debootstrap missing: run scripts/docker/engine.sh first"

mirror="${DEBIAN_MIRROR:-}"
if [ -z "$mirror" ]; then
  # Use the host's own apt mirror (deb822 first, then the one-line format).
  mirror="$(awk '/^URIs:/{print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)"
  [ -n "$mirror" ] || mirror="$(awk '/^deb /{print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)"
  [ -n "$mirror" ] || mirror="http://deb.debian.org/debian"
fi
rootfs="$(mktemp -d /tmp/consul-gateway-rootfs.XXXXXX)"
trap 'rm -rf "$rootfs"' EXIT
log "debootstrap bookworm from $mirror into $rootfs (~70 s)"
debootstrap --variant=minbase --include=python3,python3-venv bookworm "$rootfs" "$mirror" \
  >"$rootfs.log" 2>&1 || { tail -20 "$rootfs.log" >&2; die "debootstrap failed (log $rootfs.log)"; }
rm -f "$rootfs.log"
# Trim apt caches and docs (~80 MB) before import.
rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/* \
       "$rootfs"/usr/share/doc/* "$rootfs"/usr/share/man/* "$rootfs"/usr/share/locale/*
tar --numeric-owner -C "$rootfs" -c . | docker import \
  -c 'CMD ["/bin/bash"]' -c "LABEL io.consul-gateway.component=base" \
  - "$BASE_IMAGE_TAG" >/dev/null || die "docker import failed"
docker run --rm --network none "$BASE_IMAGE_TAG" python3 -c 'import venv, sys; assert sys.version_info[:2] == (3, 11), sys.version' \
  || die "base image $BASE_IMAGE_TAG has no working python3.11 with venv"
log "base image $BASE_IMAGE_TAG built"
