"""Which Docker API calls the proxy lets through (a pure function of the request).

Reads that the SDK needs are allowed; container creation only for the allowed image, with
this stack's replica labels and no privilege-granting options; start/stop/remove/logs only
for containers carrying this stack's replica labels (checked by the server before
forwarding). The Swarm runtime's calls likewise: service create only with a replica spec
(``check_service``), update/logs only of services carrying the replica labels, and the
reads of services, tasks and nodes. Services are never deleted through the proxy.
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
        # Swarm runtime: list/inspect services and tasks, a task's node (for its hostname)
        r"^/services$",
        rf"^/services/{_ID}$",
        r"^/tasks$",
        rf"^/tasks/{_ID}$",
        rf"^/nodes/{_ID}$",
    )
]
_TARGETED = {
    ("POST", re.compile(rf"^/containers/(?P<id>{_ID})/start$")),
    ("POST", re.compile(rf"^/containers/(?P<id>{_ID})/stop$")),
    ("DELETE", re.compile(rf"^/containers/(?P<id>{_ID})$")),
    ("GET", re.compile(rf"^/containers/(?P<id>{_ID})/logs$")),
}
_SERVICE_TARGETED = {
    ("POST", re.compile(rf"^/services/(?P<id>{_ID})/update$")),
    ("GET", re.compile(rf"^/services/(?P<id>{_ID})/logs$")),
}
# Container-spec fields of a service that would reach the host, secrets or privileges.
_FORBIDDEN_CONTAINER_SPEC = (
    "Mounts",
    "CapabilityAdd",
    "Sysctls",
    "Secrets",
    "Configs",
    "Devices",
    "Ulimits",
)
_FORBIDDEN_HOST_CONFIG = ("Binds", "Mounts", "Devices", "CapAdd", "DeviceRequests", "VolumesFrom", "Links")


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    reason: str = ""
    target: str | None = None  # container id whose labels must be checked before forwarding
    check_body: bool = False  # a create: the JSON body must pass ``check_create``
    service_target: str | None = None  # service id whose labels must be checked before forwarding
    check_service_body: bool = False  # a service create/update: the body must pass ``check_service``


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
        if method == "POST" and path == "/services/create":
            return Decision(True, check_service_body=True)
        for verb, pattern in _SERVICE_TARGETED:
            m = pattern.match(path)
            if m and method == verb:
                return Decision(
                    True, service_target=m.group("id"), check_service_body=path.endswith("/update")
                )
        return Decision(False, f"{method} {path} is not allowed by the gateway's Docker proxy")

    def labels_ok(self, labels: dict[str, str] | None) -> bool:
        labels = labels or {}
        return (
            labels.get("io.consul-gateway.managed") == "true"
            and labels.get("io.consul-gateway.stack") == self.stack
            and labels.get("io.consul-gateway.role") == "replica"
        )

    def check_create(self, body: Any) -> str | None:
        """None when the create request is acceptable, else the reason it is refused.
        Keys are read case-insensitively, as the engine decodes them (``binds`` is ``Binds``)."""
        try:
            return self._check_create(body)
        except ValueError as exc:
            return str(exc)

    def _check_create(self, body: Any) -> str | None:
        if not isinstance(body, dict):
            return "container create body must be a JSON object"
        root = _ci(body, "container create body")
        if root.get("image") not in self.images:
            return f"image {root.get('image')!r} is not an allowed replica image"
        if not self.labels_ok(root.get("labels")):
            return f"containers must carry the replica labels of stack {self.stack!r}"
        host = _ci(root.get("hostconfig") or {}, "HostConfig")
        if host.get("privileged"):
            return "privileged containers are not allowed"
        for key in _FORBIDDEN_HOST_CONFIG:
            if host.get(key.lower()):
                return f"HostConfig.{key} is not allowed"
        for key in ("NetworkMode", "PidMode", "IpcMode", "UTSMode", "UsernsMode"):
            if str(host.get(key.lower()) or "") == "host":
                return f"HostConfig.{key}=host is not allowed"
        network_mode = host.get("networkmode")
        if self.network and network_mode not in (None, "", "default", self.network):
            return f"network {network_mode!r} is not the replica network {self.network!r}"
        return None

    def check_service(self, body: Any, network_ids: frozenset[str] = frozenset()) -> str | None:
        """None when a service create/update body is a replica spec, else why it is refused.
        ``network_ids``: the replica network's id(s), since updates name networks by id.
        Docker decodes JSON keys case-insensitively, so every object is read the same way."""
        try:
            return self._check_service(body, network_ids)
        except ValueError as exc:
            return str(exc)

    def _check_service(self, body: Any, network_ids: frozenset[str]) -> str | None:
        spec_root = _ci(body, "service spec")
        if not self.labels_ok(spec_root.get("labels")):
            return f"services must carry the replica labels of stack {self.stack!r}"
        template = _ci(spec_root.get("tasktemplate") or {}, "TaskTemplate")
        if str(template.get("runtime") or "container").lower() != "container" or "pluginspec" in template:
            return "only container tasks are allowed"
        spec = _ci(template.get("containerspec") or {}, "ContainerSpec")
        image = str(spec.get("image") or "")
        if image.split("@", 1)[0] not in self.images:
            return f"image {image!r} is not an allowed replica image"
        if not self.labels_ok(spec.get("labels")):
            return f"task containers must carry the replica labels of stack {self.stack!r}"
        for key in _FORBIDDEN_CONTAINER_SPEC:
            if spec.get(key.lower()):
                return f"ContainerSpec.{key} is not allowed"
        # Inspect returns empty Privileges; any set value (credential spec, SELinux, seccomp or
        # AppArmor profiles) changes the task's confinement. NoNewPrivileges only tightens it.
        privileges = _ci(spec.get("privileges") or {}, "Privileges")
        relaxed = sorted(k for k, v in privileges.items() if v and k != "nonewprivileges")
        if relaxed:
            return f"ContainerSpec.Privileges.{relaxed[0]} is not allowed"
        mode = _ci(spec_root.get("mode") or {"replicated": {}}, "Mode")
        if set(mode) != {"replicated"}:
            return "only replicated services are allowed"
        if _ci(spec_root.get("endpointspec") or {}, "EndpointSpec").get("ports"):
            return "replicas publish no ports"
        allowed = {self.network, *network_ids} if self.network else None
        for net in [*(template.get("networks") or []), *(spec_root.get("networks") or [])]:
            target = _ci(net or {}, "network").get("target")
            if allowed is not None and target not in allowed:
                return f"network {target!r} is not the replica network {self.network!r}"
        return None


def _ci(obj: Any, what: str) -> dict[str, Any]:
    """``obj`` with lower-case keys; refuses non-objects and keys that differ only by case."""
    if not isinstance(obj, dict):
        raise ValueError(f"{what} must be a JSON object")
    out: dict[str, Any] = {}
    for key, value in obj.items():
        low = str(key).lower()
        if low in out:
            raise ValueError(f"{what} has the key {key!r} twice (keys are case-insensitive)")
        out[low] = value
    return out
