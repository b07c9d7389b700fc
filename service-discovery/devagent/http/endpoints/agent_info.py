"""Agent self/members, status leader/peers, datacenters, ACL-disabled endpoints (contract §7, §9)."""

from __future__ import annotations

import time
from typing import Any

from ...agent import Agent
from ...config import CONSUL_VERSION
from ...errors import ApiError
from ..request import Request
from ..response import Response, json_response

__all__ = ["AgentInfo"]

_BUILD_DATE = "2025-10-01T00:00:00Z"
_START = time.time()


class AgentInfo:
    def __init__(self, agent: Agent) -> None:
        self.agent = agent

    @property
    def leader_addr(self) -> str:
        return f"{self.agent.config.advertise_addr}:8300"

    def member(self) -> dict[str, Any]:
        cfg = self.agent.config
        node = self.agent.catalog.node
        return {
            "Name": node.name,
            "Addr": cfg.advertise_addr,
            "Port": 8301,
            "Tags": {
                "acls": "1" if self.agent.acl is not None else "0",
                "build": f"{CONSUL_VERSION}:devagent",
                "dc": cfg.datacenter,
                "ft_fs": "1",
                "ft_si": "1",
                "grpc_port": "8502",
                "id": node.node_id,
                "port": "8300",
                "raft_vsn": "3",
                "role": "consul",
                "segment": "",
                "vsn": "2",
                "vsn_max": "3",
                "vsn_min": "2",
                "wan_join_port": "8302",
            },
            "Status": 1,
            "ProtocolMin": 1,
            "ProtocolMax": 5,
            "ProtocolCur": 2,
            "DelegateMin": 2,
            "DelegateMax": 5,
            "DelegateCur": 4,
        }

    async def self_(self, req: Request, rest: str) -> Response:
        cfg = self.agent.config
        node = self.agent.catalog.node
        agent_checks = [self.agent.catalog.checks[c] for c in self.agent.local_checks]
        body = {
            "Config": {
                "Datacenter": cfg.datacenter,
                "PrimaryDatacenter": cfg.datacenter,
                "NodeName": node.name,
                "NodeID": node.node_id,
                "Revision": "devagent",
                "Server": True,
                "Version": CONSUL_VERSION,
                "BuildDate": _BUILD_DATE,
            },
            "DebugConfig": {
                "DevMode": True,
                "Datacenter": cfg.datacenter,
                "NodeName": node.name,
                "ACLsEnabled": cfg.acl_enabled,
                "ACLResolverSettings": {
                    "ACLDefaultPolicy": cfg.acl_default_policy if cfg.acl_enabled else "allow"
                },
            },
            "Coord": {"Vec": [0.0] * 8, "Error": 1.5, "Adjustment": 0.0, "Height": 1e-05},
            "Member": self.member(),
            "Stats": {
                "agent": {
                    "check_monitors": str(
                        sum(1 for c in agent_checks if c.type in ("http", "tcp", "udp", "script"))
                    ),
                    "check_ttls": str(sum(1 for c in agent_checks if c.type == "ttl")),
                    "checks": str(len(agent_checks)),
                    "services": str(len(self.agent.local_services)),
                },
                "build": {
                    "prerelease": "",
                    "revision": "devagent",
                    "version": CONSUL_VERSION,
                    "version_metadata": "",
                },
                "consul": {
                    "acl": "enabled" if cfg.acl_enabled else "disabled",
                    "bootstrap": "false",
                    "known_datacenters": "1",
                    "leader": "true",
                    "leader_addr": self.leader_addr,
                    "server": "true",
                },
                "raft": {"applied_index": str(self.agent.catalog.index), "state": "Leader", "num_peers": "0"},
                "runtime": {"arch": "amd64", "os": "linux", "version": "python"},
                "serf_lan": {"members": "1", "failed": "0", "left": "0"},
                "serf_wan": {"members": "1", "failed": "0", "left": "0"},
            },
            "Meta": {"consul-network-segment": "", "consul-version": CONSUL_VERSION},
            "xDS": {
                "SupportedProxies": {"envoy": ["1.33.0", "1.32.2", "1.31.4", "1.30.8"]},
                "Port": 8502,
                "Ports": {"Plaintext": 8502, "TLS": -1},
            },
        }
        return json_response(body)

    async def members(self, req: Request, rest: str) -> Response:
        member = self.member()
        if req.has("wan"):  # presence, like Consul
            member["Name"] = f"{member['Name']}.{self.agent.config.datacenter}"
            member["Port"] = 8302
        return json_response([member])

    async def leader(self, req: Request, rest: str) -> Response:
        return json_response(self.leader_addr)

    async def peers(self, req: Request, rest: str) -> Response:
        return json_response([self.leader_addr])

    async def datacenters(self, req: Request, rest: str) -> Response:
        return json_response([self.agent.config.datacenter])

    async def acl_disabled(self, req: Request, rest: str) -> Response:
        raise ApiError(401, "ACL support disabled")
