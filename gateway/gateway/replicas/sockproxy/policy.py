"""Which Docker API calls the proxy lets through (a pure function of the request).

Reads that the SDK needs are allowed; container creation only for the allowed image, with
this stack's replica labels and no privilege-granting options; start/stop/remove/logs only
for containers carrying this stack's replica labels (checked by the server before
forwarding).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Decision", "Policy"]

_VERSION = re.compile(r"^/v\d+\.\d+(?=/)")
_ID = r"[A-Za-z0-9][A-Za-z0-9_.-]*"

_READS = [
    re.compile(p)
    for p in (
        r"^/_ping$",
        r"^/version$",
        r"^/info$",
        r"^/containers/json$",
        rf"^/containers/{_ID}/json$",
        r"^/images/[^?]+/json$",
        rf"^/networks/{_ID}$",
    )
]
_TARGETED = {
    ("POST", re.compile(rf"^/containers/(?P<id>{_ID})/start$")),
    ("POST", re.compile(rf"^/containers/(?P<id>{_ID})/stop$")),
    ("DELETE", re.compile(rf"^/containers/(?P<id>{_ID})$")),
    ("GET", re.compile(rf"^/containers/(?P<id>{_ID})/logs$")),
}
_FORBIDDEN_HOST_CONFIG = ("Binds", "Mounts", "Devices", "CapAdd", "DeviceRequests", "VolumesFrom", "Links")


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str = ""
    target: str | None = None  # container id whose labels must be checked before forwarding
    check_body: bool = False  # a create: the JSON body must pass ``check_create``


class Policy:
    def __init__(self, stack: str, images: frozenset[str], network: str | None) -> None:
        self.stack = stack
        self.images = images
        self.network = network

    @staticmethod
    def normalize(path: str) -> str:
        return _VERSION.sub("", path)

    def decide(self, method: str, path: str) -> Decision:
        path = self.normalize(path)
        if method in ("GET", "HEAD") and any(p.match(path) for p in _READS):
            return Decision(True)
        if method == "POST" and path == "/containers/create":
            return Decision(True, check_body=True)
        for verb, pattern in _TARGETED:
            m = pattern.match(path)
            if m and method == verb:
                return Decision(True, target=m.group("id"))
        return Decision(False, f"{method} {path} is not allowed by the gateway's Docker proxy")

    def labels_ok(self, labels: dict[str, str] | None) -> bool:
        labels = labels or {}
        return (
            labels.get("io.consul-gateway.managed") == "true"
            and labels.get("io.consul-gateway.stack") == self.stack
            and labels.get("io.consul-gateway.role") == "replica"
        )

    def check_create(self, body: Any) -> str | None:
        """None when the create request is acceptable, else the reason it is refused."""
        if not isinstance(body, dict):
            return "container create body must be a JSON object"
        if body.get("Image") not in self.images:
            return f"image {body.get('Image')!r} is not an allowed replica image"
        if not self.labels_ok(body.get("Labels")):
            return f"containers must carry the replica labels of stack {self.stack!r}"
        host: dict[str, Any] = body.get("HostConfig") or {}
        if host.get("Privileged"):
            return "privileged containers are not allowed"
        for key in _FORBIDDEN_HOST_CONFIG:
            if host.get(key):
                return f"HostConfig.{key} is not allowed"
        for key in ("NetworkMode", "PidMode", "IpcMode", "UTSMode", "UsernsMode"):
            if str(host.get(key) or "") == "host":
                return f"HostConfig.{key}=host is not allowed"
        if self.network and host.get("NetworkMode") not in (None, "", "default", self.network):
            return f"network {host.get('NetworkMode')!r} is not the replica network {self.network!r}"
        return None
