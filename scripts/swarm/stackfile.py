#!/usr/bin/env python3
"""Turn `docker compose config --format json` into a file `docker stack deploy` accepts.

Compose renders and merges compose.yaml + overrides (env files, `!reset`, defaults); the
stack loader of the docker CLI is older and stricter. This only converts form, never policy:
everything Swarm-specific is in compose.swarm.yaml. Reads stdin, writes JSON (valid YAML).
"""

from __future__ import annotations

import json
import sys
from typing import Any

# Keys Swarm ignores or the stack loader rejects: build-time, start order, local restart policy.
_DROP = ("build", "pull_policy", "restart", "depends_on", "group_add", "container_name", "env_file")


def convert(config: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"version": "3.9"}
    for key in ("services", "networks", "volumes", "secrets", "configs"):
        if config.get(key):
            out[key] = config[key]
    for service in out.get("services", {}).values():
        for key in [*_DROP, *(k for k, v in service.items() if v is None)]:
            service.pop(key, None)
        limits = (service.get("deploy") or {}).get("resources", {}).get("limits") or {}
        for key in ("cpus", "memory"):
            if key in limits:
                limits[key] = str(limits[key])
        for vol in service.get("volumes") or []:
            for key in [k for k, v in vol.items() if v == {}]:
                del vol[key]
        for port in service.get("ports") or []:
            if "published" in port:
                port["published"] = int(port["published"])
    # Compose writes `name:` on every network/volume; the stack loader wants it only with
    # an explicit name, which the stack then uses as is (REPLICA_NETWORK depends on it).
    return out


def main() -> None:
    json.dump(convert(json.load(sys.stdin)), sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
