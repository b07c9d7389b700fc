#!/usr/bin/env bash
# Install (if missing) and start (if not answering) the Docker engine on a machine without
# systemd. Idempotent: a warm run costs a few milliseconds. Never restarts an engine that is
# already up, never starts a second dockerd.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DOCKERD_LOG="${DOCKERD_LOG:-/var/log/dockerd.log}"
PACKAGES=(docker.io iptables debootstrap)

install_engine() {
  local missing=()
  command -v dockerd >/dev/null 2>&1 || missing+=(docker.io)
  command -v iptables >/dev/null 2>&1 || missing+=(iptables)
  command -v debootstrap >/dev/null 2>&1 || missing+=(debootstrap)
  [ "${#missing[@]}" -eq 0 ] && return 0
  need_root "installing ${missing[*]}"
  command -v apt-get >/dev/null 2>&1 || die "apt-get not found: install ${PACKAGES[*]} by hand"
  # No init system here: keep apt's postinst from trying to start services.
  [ -e /usr/sbin/policy-rc.d ] || printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  log "installing ${PACKAGES[*]} (apt-get update once)"
  apt-get update -qq || die "apt-get update failed"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" \
    >/dev/null || die "apt-get install ${PACKAGES[*]} failed"
  command -v dockerd >/dev/null 2>&1 || die "dockerd still missing after install"
}

engine_up() { docker info >/dev/null 2>&1; }

# Without procps (pgrep) on minimal machines: scan /proc for a running dockerd.
dockerd_running() {
  local comm
  for comm in /proc/[0-9]*/comm; do
    [ "$(cat "$comm" 2>/dev/null)" = dockerd ] && return 0
  done
  return 1
}

start_engine() {
  engine_up && { log "engine already answering (left as is)"; return 0; }
  [ -n "${DOCKER_HOST:-}" ] && die "DOCKER_HOST=$DOCKER_HOST does not answer; not starting a local engine"
  need_root "starting dockerd"
  # A stale pid file (pid gone or reused by another program) makes dockerd refuse to start.
  if [ -f /var/run/docker.pid ]; then
    local pid; pid="$(cat /var/run/docker.pid 2>/dev/null || true)"
    if [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm")" = dockerd ]; then
      log "dockerd pid $pid exists but does not answer yet; waiting for it (not starting another)"
    else
      log "removing stale /var/run/docker.pid (pid '$pid' is not a dockerd)"
      rm -f /var/run/docker.pid
    fi
  fi
  if ! dockerd_running; then
    # cgroup v1 hierarchies are normally mounted at boot; mount them if absent and possible.
    if [ ! -d /sys/fs/cgroup/cpu ] && [ ! -f /sys/fs/cgroup/cgroup.controllers ] && command -v cgroupfs-mount >/dev/null; then
      cgroupfs-mount || log "cgroupfs-mount failed (continuing)"
    fi
    log "starting dockerd (setsid, log $DOCKERD_LOG)"
    mkdir -p "$STATE_DIR"
    setsid dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
    echo "$!" > "$STATE_DIR/dockerd.started-by-us"
  fi
  local i
  for i in $(seq 120); do engine_up && break; sleep 0.5; done
  engine_up || die "dockerd did not answer within 60 s; see $DOCKERD_LOG"
  log "engine up"
}

check_bridge() {
  # A second dockerd with --bridge=none deletes docker0 and breaks default-bridge builds.
  ip link show docker0 >/dev/null 2>&1 || die "network interface docker0 is missing: the default bridge is broken
  (another dockerd with --bridge=none?). Repair without restarting the engine:
    ip link add docker0 type bridge; ip addr add 172.17.0.1/16 dev docker0; ip link set docker0 up"
}

install_engine
start_engine
if [ -z "${DOCKER_HOST:-}" ]; then check_bridge; fi
