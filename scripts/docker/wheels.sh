#!/usr/bin/env bash
# Stage the wheels the images install offline (`docker build --network none`):
#   build/docker/wheels/project/  the project's own wheel (uv build --wheel)
#   build/docker/wheels/<set>/    dependency wheels for CPython 3.11 / manylinux x86_64
# Sets: core (dev agent, echo), gateway (extra `gateway`), model (extra `model`).
# Dependency wheels are re-downloaded only when the exported requirements change (sha stamp).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

OUT="${WHEELS_DIR:-$REPO_ROOT/build/docker/wheels}"
SETS=("$@"); [ "${#SETS[@]}" -gt 0 ] || SETS=(core gateway model)
# glibc: bookworm 2.36 (and python:3.11-slim >= 2.36), so any manylinux tag up to 2_36 runs.
PLATFORMS=(manylinux2014_x86_64 manylinux_2_17_x86_64 manylinux_2_24_x86_64 manylinux_2_27_x86_64
           manylinux_2_28_x86_64 manylinux_2_31_x86_64 manylinux_2_34_x86_64 manylinux_2_35_x86_64
           manylinux_2_36_x86_64)

command -v uv >/dev/null 2>&1 || die "uv not found (pip install uv)"
cd "$REPO_ROOT"

pip_download() {
  if python3 -m pip --version >/dev/null 2>&1; then python3 -m pip download "$@"
  else uvx --quiet --from pip pip download "$@"; fi
}

extra_args() {
  case "$1" in
    core) ;;
    gateway|model) echo "--extra $1" ;;
    *) die "unknown wheel set '$1' (core|gateway|model)" ;;
  esac
}

for set in "${SETS[@]}"; do
  dir="$OUT/$set"; mkdir -p "$dir"
  req="$OUT/$set.requirements.txt"
  # shellcheck disable=SC2046
  uv export --quiet --frozen --no-dev --no-hashes --no-emit-project $(extra_args "$set") -o "$req.new" \
    || die "uv export for '$set' failed (is uv.lock up to date?)"
  sha="$(printf '%s\n' "${PLATFORMS[*]}" | cat - "$req.new" | sha256sum | cut -d' ' -f1)"
  mv "$req.new" "$req"
  if [ -f "$dir/.stamp" ] && [ "$(cat "$dir/.stamp")" = "$sha" ]; then
    log "wheels[$set] cached ($(ls "$dir"/*.whl | wc -l) wheels)"; continue
  fi
  log "wheels[$set]: downloading"
  rm -f "$dir"/*.whl "$dir/.stamp"
  plat_args=(); for p in "${PLATFORMS[@]}"; do plat_args+=(--platform "$p"); done
  pip_download --quiet --disable-pip-version-check --only-binary=:all: --implementation cp \
    --python-version 3.11 "${plat_args[@]}" -d "$dir" -r "$req" 2> >(grep -v "is ignored: it is neither a file" >&2) \
    || die "pip download for '$set' failed (needs network access to the package index)"
  echo "$sha" > "$dir/.stamp"
  log "wheels[$set]: $(ls "$dir"/*.whl | wc -l) wheels"
done

# The project wheel is cheap to build; rebuild it every time so images carry the current code.
rm -rf "$OUT/project"; mkdir -p "$OUT/project"
uv build --quiet --wheel -o "$OUT/project" >/dev/null 2>&1 || uv build --wheel -o "$OUT/project" \
  || die "uv build --wheel failed"
ls "$OUT/project"/*.whl >/dev/null 2>&1 || die "no project wheel in $OUT/project"
log "project wheel: $(basename "$OUT"/project/*.whl)"
