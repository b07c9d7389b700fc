"""Request body schemas (Consul's ServiceDefinition, CheckType, CheckDefinition, ...)."""

from __future__ import annotations

from .decode import Field, Schema

__all__ = [
    "CHECK_DEFINITION",
    "CHECK_TYPE",
    "CHECK_UPDATE",
    "DEREGISTER_REQUEST",
    "REGISTER_REQUEST",
    "SERVICE_DEFINITION",
    "SESSION",
]

_CHECK_COMMON: tuple[Field, ...] = (
    Field("CheckID", "str"),
    Field("Name", "str"),
    Field("Status", "str"),
    Field("Notes", "str"),
    Field("ScriptArgs", "strlist", aliases=("args", "script_args")),
    Field("HTTP", "str"),
    Field("Header", "headers"),
    Field("Method", "str"),
    Field("Body", "str"),
    Field("DisableRedirects", "bool", aliases=("disable_redirects",)),
    Field("TCP", "str"),
    Field("TCPUseTLS", "bool", aliases=("tcp_use_tls",)),
    Field("UDP", "str"),
    Field("GRPC", "str"),
    Field("GRPCUseTLS", "bool", aliases=("grpc_use_tls",)),
    Field("H2PING", "str"),
    Field("H2PingUseTLS", "bool", aliases=("h2ping_use_tls",)),
    Field("OSService", "str"),
    Field("AliasNode", "str"),
    Field("AliasService", "str"),
    Field("DockerContainerID", "str", aliases=("docker_container_id",)),
    Field("Shell", "str"),
    Field("TLSServerName", "str", aliases=("tls_server_name",)),
    Field("TLSSkipVerify", "bool", aliases=("tls_skip_verify",)),
    Field("Interval", "duration"),
    Field("Timeout", "duration"),
    Field("TTL", "duration"),
    Field("SuccessBeforePassing", "int"),
    Field("FailuresBeforeWarning", "int"),
    Field("FailuresBeforeCritical", "int"),
    Field("DeregisterCriticalServiceAfter", "duration", aliases=("deregister_critical_service_after",)),
    Field("OutputMaxSize", "int"),
    Field("ProxyHTTP", "str"),
    Field("ProxyGRPC", "str"),
)

# A check inside a service registration: ServiceID is accepted and ignored.
CHECK_TYPE = Schema(
    "CheckType",
    (*_CHECK_COMMON, Field("ServiceID", "str", aliases=("service_id",), ignored=True)),
)

CHECK_DEFINITION = Schema(
    "CheckDefinition",
    (
        Field("ID", "str"),
        *[f for f in _CHECK_COMMON if f.name != "CheckID"],
        Field("CheckID", "str"),
        Field("ServiceID", "str", aliases=("service_id",)),
        Field("Token", "str"),
    ),
)

_WEIGHTS = Schema("Weights", (Field("Passing", "int"), Field("Warning", "int")))
_TAGGED_ADDRESS = Schema("ServiceAddress", (Field("Address", "str"), Field("Port", "int")))
_LOCALITY = Schema("Locality", (Field("Region", "str"), Field("Zone", "str")))

SERVICE_DEFINITION = Schema(
    "ServiceDefinition",
    (
        Field("ID", "str"),
        Field("Name", "str"),
        Field("Tags", "strlist"),
        Field("Address", "str"),
        Field("TaggedAddresses", "objmap", aliases=("tagged_addresses",), schema=_TAGGED_ADDRESS),
        Field("Port", "int"),
        Field("SocketPath", "str"),
        Field("Meta", "strmap"),
        Field("Kind", "str"),
        Field("Proxy", "any"),
        Field("Connect", "any"),
        Field("Check", "object", schema=CHECK_TYPE),
        Field("Checks", "objlist", schema=CHECK_TYPE),
        Field("Weights", "object", schema=_WEIGHTS),
        Field("EnableTagOverride", "bool", aliases=("enable_tag_override",)),
        Field("Token", "str"),
        Field("Locality", "object", schema=_LOCALITY),
        Field("Namespace", "str"),
        Field("Partition", "str"),
    ),
)

CHECK_UPDATE = Schema("checkUpdate", (Field("Status", "str"), Field("Output", "str")))

# /v1/catalog/register and /deregister (structs.RegisterRequest / DeregisterRequest).
_NODE_SERVICE = Schema(
    "NodeService",
    (
        Field("ID", "str"),
        Field("Service", "str"),
        Field("Tags", "strlist"),
        Field("Address", "str"),
        Field("TaggedAddresses", "objmap", schema=_TAGGED_ADDRESS),
        Field("Meta", "strmap"),
        Field("Port", "int"),
        Field("SocketPath", "str"),
        Field("Kind", "str"),
        Field("Weights", "object", schema=_WEIGHTS),
        Field("EnableTagOverride", "bool"),
        Field("Proxy", "any"),
        Field("Connect", "any"),
        Field("Locality", "object", schema=_LOCALITY),
        Field("LocallyRegisteredAsSidecar", "bool"),
        Field("PeerName", "str"),
        Field("Datacenter", "str"),
        Field("Namespace", "str"),
        Field("Partition", "str"),
        Field("CreateIndex", "uint"),
        Field("ModifyIndex", "uint"),
    ),
)
_HEALTH_CHECK = Schema(
    "HealthCheck",
    (
        Field("Node", "str"),
        Field("CheckID", "str"),
        Field("Name", "str"),
        Field("Status", "str"),
        Field("Notes", "str"),
        Field("Output", "str"),
        Field("ServiceID", "str"),
        Field("ServiceName", "str"),
        Field("ServiceTags", "strlist"),
        Field("Type", "str"),
        Field("Interval", "str"),
        Field("Timeout", "str"),
        Field("ExposedPort", "int"),
        Field("Definition", "any"),
        Field("PeerName", "str"),
        Field("Namespace", "str"),
        Field("Partition", "str"),
        Field("CreateIndex", "uint"),
        Field("ModifyIndex", "uint"),
    ),
)
_WRITE_REQUEST = Schema("WriteRequest", (Field("Token", "str"),))

REGISTER_REQUEST = Schema(
    "RegisterRequest",
    (
        Field("Datacenter", "str"),
        Field("ID", "str"),
        Field("Node", "str"),
        Field("Address", "str"),
        Field("TaggedAddresses", "strmap"),
        Field("NodeMeta", "strmap"),
        Field("Service", "object", schema=_NODE_SERVICE),
        Field("Check", "object", schema=_HEALTH_CHECK),
        Field("Checks", "objlist", schema=_HEALTH_CHECK),
        Field("SkipNodeUpdate", "bool"),
        Field("Token", "str"),
        Field("WriteRequest", "object", schema=_WRITE_REQUEST),
        Field("Locality", "object", schema=_LOCALITY),
        Field("PeerName", "str"),
        Field("Namespace", "str"),
        Field("Partition", "str"),
    ),
)

DEREGISTER_REQUEST = Schema(
    "DeregisterRequest",
    (
        Field("Datacenter", "str"),
        Field("Node", "str"),
        Field("ServiceID", "str"),
        Field("CheckID", "str"),
        Field("Token", "str"),
        Field("WriteRequest", "object", schema=_WRITE_REQUEST),
        Field("PeerName", "str"),
        Field("Namespace", "str"),
        Field("Partition", "str"),
    ),
)

_SERVICE_CHECK = Schema("ServiceCheck", (Field("ID", "str"), Field("Namespace", "str")))

# structs.Session as /v1/session/create decodes it (LockDelay is converted by the handler).
SESSION = Schema(
    "Session",
    (
        Field("ID", "str"),
        Field("Name", "str"),
        Field("Node", "str"),
        Field("LockDelay", "any"),
        Field("Behavior", "str"),
        Field("TTL", "str"),
        Field("Checks", "strlist"),
        Field("NodeChecks", "strlist"),
        Field("ServiceChecks", "objlist", schema=_SERVICE_CHECK),
        Field("CreateIndex", "uint"),
        Field("ModifyIndex", "uint"),
        Field("Namespace", "str", ignored=True),
        Field("Partition", "str", ignored=True),
    ),
)
