"""The cluster as Consul knows it: gateway instances (catalog), their workers' entries, the leader."""

from __future__ import annotations

import time
from typing import Any

from ..consul_client import ConsulClient
from .cluster import Cluster

__all__ = ["cluster_view"]


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


async def cluster_view(consul: ConsulClient, cluster: Cluster, service_name: str) -> dict[str, Any]:
    """``{"leader", "self", "instances": [{id, address, port, status, leader, table_index,
    table_age_s, workers: [...]}]}``; raises ``ConsulError`` when Consul cannot be read."""
    entries, _ = await consul.catalog.health_service(service_name, 0, "", 0.0, passing=False)
    members, _ = await consul.kv.list(cluster.members_prefix)
    leader_entry, _ = await consul.kv.get(cluster.key("leader"))
    leader: dict[str, Any] | None = None
    if leader_entry is not None and leader_entry.session:
        try:
            value = leader_entry.json()
            leader = value if isinstance(value, dict) else None
        except ValueError:
            leader = None
    leader_id = leader.get("instance") if leader else None

    now = time.time()
    workers: dict[str, list[dict[str, Any]]] = {}
    for entry in members:
        try:
            value = entry.json()
        except ValueError:
            continue
        if not isinstance(value, dict) or not isinstance(value.get("instance"), str):
            continue
        updated = _number(value.get("updated_at"))
        value["updated_s_ago"] = round(now - updated, 3) if updated is not None else None
        workers.setdefault(value["instance"], []).append(value)

    instances: list[dict[str, Any]] = []
    for raw in entries:
        svc = raw.get("Service") or {}
        node = raw.get("Node") or {}
        sid = str(svc.get("ID") or "")
        checks = raw.get("Checks") or []
        statuses = {str(c.get("Status")) for c in checks if isinstance(c, dict)}
        status = "critical" if "critical" in statuses else "warning" if "warning" in statuses else "passing"
        instances.append(
            _instance(
                sid,
                svc.get("Address") or node.get("Address"),
                svc.get("Port"),
                status,
                workers.pop(sid, []),
                leader_id,
            )
        )
    for sid, ws in sorted(workers.items()):  # publishing but not registered (registration off)
        first = ws[0]
        instances.append(
            _instance(sid, first.get("address"), first.get("port"), "unregistered", ws, leader_id)
        )
    return {
        "leader": leader_id,
        "leader_worker": leader,
        "self": cluster.identity.instance,
        "instances": sorted(instances, key=lambda i: str(i["id"])),
    }


def _instance(
    sid: str, address: Any, port: Any, status: str, workers: list[dict[str, Any]], leader: Any
) -> dict[str, Any]:
    workers = sorted(workers, key=lambda w: int(w.get("worker") or 0))
    indexes = [i for w in workers if (i := _number(w.get("table_index"))) is not None]
    ages = [a for w in workers if (a := _number(w.get("table_age_s"))) is not None]
    return {
        "id": sid,
        "address": address,
        "port": port,
        "status": status,
        "leader": sid == leader,
        # the instance is as fresh as its stalest worker
        "table_index": int(min(indexes)) if indexes else None,
        "table_age_s": max(ages) if ages else None,
        "workers": workers,
    }
