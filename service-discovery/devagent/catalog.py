"""The catalog: nodes, services and checks, with Raft-like indexes and watch notifications.

Every mutation takes a fresh index from one counter.  Per-service-name indexes and the
"last extinction" index reproduce what Consul's state store reports to blocking queries
(contract §6.4), so a waiter is woken only by changes that concern the name it watches.

The agent's own node is the common case and keeps flat, ID-keyed maps (``services``, ``checks``)
that the agent API uses; other nodes only appear through ``/v1/catalog/register`` and live in
``remote_*`` maps.  Readers use the node-aware helpers (``instances``, ``checks_of_instance``,
``node_checks_of``, ``all_checks``) so both kinds look the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from .model import Check, NodeInfo, Service
from .watch import WatchHub

__all__ = ["Catalog", "InstanceKey"]

InstanceKey = tuple[str, str]  # (node name, service ID)
# (node, check ID, catalog status or None when the check was removed): sessions bind to checks
CheckObserver = Callable[[str, str, "str | None"], None]
NodeObserver = Callable[[str], None]


class Catalog:
    def __init__(self, node: NodeInfo, hub: WatchHub) -> None:
        self.node = node
        self.hub = hub
        self.index = 0
        self.nodes: dict[str, NodeInfo] = {node.name: node}
        # the agent's node
        self.services: dict[str, Service] = {}
        self.checks: dict[str, Check] = {}  # catalog view of every local check (node and service)
        self.service_checks: dict[str, dict[str, Check]] = {}  # service ID → checks
        self.node_checks: dict[str, Check] = {}
        # other nodes (catalog/register)
        self.remote_services: dict[InstanceKey, Service] = {}
        self.remote_checks: dict[InstanceKey, Check] = {}  # (node, check ID)
        # all nodes
        self.by_name: dict[str, dict[InstanceKey, Service]] = {}
        self.service_index: dict[str, int] = {}
        self.instance_version: dict[InstanceKey, int] = {}  # index of the instance's last visible change
        self.node_version: dict[str, int] = {}  # node → index of its last node-level check change
        self.extinction_index = 0
        self.services_table = 0
        self.checks_table = 0
        self.nodes_table = 0
        self.check_observers: list[CheckObserver] = []
        self.node_observers: list[NodeObserver] = []

    # -- index helpers -------------------------------------------------------------------------
    def next_index(self) -> int:
        self.index += 1
        return self.index

    def node_name(self, obj: Service | Check) -> str:
        return obj.node or self.node.name

    def key(self, svc: Service) -> InstanceKey:
        return (self.node_name(svc), svc.id)

    def _touch_names(self, names: Iterable[str], idx: int) -> None:
        keys = []
        for name in names:
            if name in self.by_name:
                self.service_index[name] = idx
            keys.append("svc:" + name)
        self.hub.notify(keys)

    def _touch_for_check(self, check: Check, idx: int) -> None:
        self.checks_table = idx
        node = self.node_name(check)
        if check.service_id:
            self.instance_version[(node, check.service_id)] = idx
            svc = self.service_on(node, check.service_id)
            names = [svc.name] if svc else []
        else:  # node-level checks are part of the health entries of every service on that node
            self.node_version[node] = idx
            names = sorted({s.name for s in self.node_services(node)})
        self._touch_names(names, idx)
        self.hub.notify(["checks"])

    def health_index(self, name: str) -> int:
        """Index reported by health/catalog queries for ``name`` (never 0)."""
        return max(self.service_index.get(name, self.extinction_index), 1)

    def watch_keys(self, name: str) -> list[str]:
        if name in self.by_name:
            return ["svc:" + name]
        return ["svc:" + name, "extinction"]

    # -- services ------------------------------------------------------------------------------
    def service_on(self, node: str, service_id: str) -> Service | None:
        if node == self.node.name:
            return self.services.get(service_id)
        return self.remote_services.get((node, service_id))

    def put_service(self, svc: Service) -> bool:
        """Insert or replace an instance; returns False when nothing visible changed."""
        node = self.node_name(svc)
        key = (node, svc.id)
        old = self.service_on(node, svc.id)
        store = self.services if node == self.node.name else None
        if old is not None and old.same_definition(svc):
            svc.create_index, svc.modify_index = old.create_index, old.modify_index
            self._store_service(svc, store)
            return False
        idx = self.next_index()
        svc.create_index = old.create_index if old else idx
        svc.modify_index = idx
        touched = {svc.name}
        if old is not None and old.name != svc.name:
            touched.add(old.name)
            self._unlink_name(old, idx)
        self._store_service(svc, store)
        self.instance_version[key] = idx
        for check in self.checks_of_instance(svc):
            check.service_name = svc.name
        self.services_table = idx
        self._touch_names(touched, idx)
        self.hub.notify(["services"])
        return True

    def _store_service(self, svc: Service, local: dict[str, Service] | None) -> None:
        key = self.key(svc)
        if local is not None:
            local[svc.id] = svc
            self.service_checks.setdefault(svc.id, {})
        else:
            self.remote_services[key] = svc
        self.by_name.setdefault(svc.name, {})[key] = svc

    def _unlink_name(self, svc: Service, idx: int) -> None:
        group = self.by_name.get(svc.name)
        if group is None:
            return
        group.pop(self.key(svc), None)
        if not group:
            del self.by_name[svc.name]
            self.service_index.pop(svc.name, None)
            self.extinction_index = idx
            self.hub.notify(["extinction"])

    def remove_service(self, service_id: str, node: str = "") -> Service | None:
        node = node or self.node.name
        if node == self.node.name:
            svc = self.services.pop(service_id, None)
        else:
            svc = self.remote_services.pop((node, service_id), None)
        if svc is None:
            return None
        idx = self.next_index()
        doomed = [c for c in self._checks_on(node) if c.service_id == service_id]
        if node == self.node.name:
            self.service_checks.pop(service_id, None)
        for check in doomed:
            self._drop_check(check)
        if doomed:
            self.checks_table = idx
            self.hub.notify(["checks"])
        self.instance_version.pop((node, service_id), None)
        self._unlink_name(svc, idx)
        self.services_table = idx
        self._touch_names([svc.name], idx)
        self.hub.notify(["services"])
        return svc

    # -- checks --------------------------------------------------------------------------------
    def check_on(self, node: str, check_id: str) -> Check | None:
        if node == self.node.name:
            return self.checks.get(check_id)
        return self.remote_checks.get((node, check_id))

    def put_check(self, check: Check) -> None:
        """Insert or replace a check's catalog entry (status/output taken from ``cat_*``)."""
        old = self.check_on(self.node_name(check), check.check_id)
        if (
            old is not None
            and old is not check
            and old.same_definition(check)
            and (old.cat_status, old.cat_output) == (check.cat_status, check.cat_output)
        ):
            check.create_index, check.modify_index = old.create_index, old.modify_index
            self._link_check(check)
            return
        idx = self.next_index()
        check.create_index = old.create_index if old else idx
        check.modify_index = idx
        if old is not None and old.service_id != check.service_id:
            self._drop_check(old, observe=False)  # moved to another service, not removed
            self._touch_for_check(old, idx)
        self._link_check(check)
        self._touch_for_check(check, idx)
        self._observe(self.node_name(check), check.check_id, check.cat_status)

    def _observe(self, node: str, check_id: str, status: str | None) -> None:
        for observer in list(self.check_observers):
            observer(node, check_id, status)

    def _link_check(self, check: Check) -> None:
        node = self.node_name(check)
        if node != self.node.name:
            self.remote_checks[(node, check.check_id)] = check
            return
        self.checks[check.check_id] = check
        if check.service_id:
            self.service_checks.setdefault(check.service_id, {})[check.check_id] = check
        else:
            self.node_checks[check.check_id] = check

    def _drop_check(self, check: Check, observe: bool = True) -> None:
        node = self.node_name(check)
        if node != self.node.name:
            self.remote_checks.pop((node, check.check_id), None)
        else:
            self.checks.pop(check.check_id, None)
            if check.service_id:
                self.service_checks.get(check.service_id, {}).pop(check.check_id, None)
            else:
                self.node_checks.pop(check.check_id, None)
        if observe:
            self._observe(node, check.check_id, None)

    def remove_check(self, check_id: str, node: str = "") -> Check | None:
        check = self.check_on(node or self.node.name, check_id)
        if check is None:
            return None
        self._drop_check(check)
        self._touch_for_check(check, self.next_index())
        return check

    def sync_check(self, check: Check) -> bool:
        """Copy the live status/output into the catalog view; bump indexes only on a change."""
        if self.checks.get(check.check_id) is not check:
            return False
        if (check.cat_status, check.cat_output) == (check.status, check.output):
            return False
        check.cat_status, check.cat_output = check.status, check.output
        idx = self.next_index()
        check.modify_index = idx
        self._touch_for_check(check, idx)
        self._observe(self.node_name(check), check.check_id, check.cat_status)
        return True

    # -- nodes ---------------------------------------------------------------------------------
    def put_node(self, node: NodeInfo) -> None:
        old = self.nodes.get(node.name)
        if old is not None and (old.node_id, old.address, old.tagged, old.meta) == (
            node.node_id,
            node.address,
            node.tagged,
            node.meta,
        ):
            return
        idx = self.next_index()
        node.create_index = old.create_index if old else idx
        node.modify_index = idx
        self.nodes[node.name] = node
        if node.name == self.node.name:
            self.node = node
        self.nodes_table = idx
        self.node_version[node.name] = idx  # node fields are part of every health entry there
        names = sorted({s.name for s in self.node_services(node.name)})
        self._touch_names(names, idx)
        self.hub.notify(["nodes", "services"])

    def remove_node(self, name: str) -> None:
        """Drop a (remote) node with all its services and checks."""
        for svc in self.node_services(name):
            self.remove_service(svc.id, name)
        for check in self._checks_on(name):
            self.remove_check(check.check_id, name)
        for observer in list(self.node_observers):
            observer(name)
        if name in self.nodes and name != self.node.name:
            del self.nodes[name]
            self.nodes_table = self.next_index()
            self.hub.notify(["nodes", "services"])

    # -- reads ---------------------------------------------------------------------------------
    def instances(self, name: str) -> list[Service]:
        """Instances of ``name`` on all nodes, ordered by node then service ID (memdb order)."""
        group = self.by_name.get(name)
        if not group:
            return []
        return [group[k] for k in sorted(group)]

    def node_of(self, svc: Service | Check) -> NodeInfo:
        return self.nodes[self.node_name(svc)]

    def node_services(self, node: str) -> list[Service]:
        if node == self.node.name:
            return [self.services[k] for k in sorted(self.services)]
        return [s for (n, _), s in sorted(self.remote_services.items()) if n == node]

    def _checks_on(self, node: str) -> list[Check]:
        if node == self.node.name:
            return [self.checks[k] for k in sorted(self.checks)]
        return [c for (n, _), c in sorted(self.remote_checks.items()) if n == node]

    def checks_of(self, service_id: str) -> list[Check]:
        """Checks of a service on the agent's node."""
        group = self.service_checks.get(service_id, {})
        return [group[k] for k in sorted(group)]

    def checks_of_instance(self, svc: Service) -> list[Check]:
        node = self.node_name(svc)
        if node == self.node.name:
            return self.checks_of(svc.id)
        return [c for c in self._checks_on(node) if c.service_id == svc.id]

    def sorted_node_checks(self) -> list[Check]:
        return [self.node_checks[k] for k in sorted(self.node_checks)]

    def node_checks_of(self, node: str) -> list[Check]:
        if node == self.node.name:
            return self.sorted_node_checks()
        return [c for c in self._checks_on(node) if not c.service_id]

    def checks_on_node(self, node: str) -> list[Check]:
        return self._checks_on(node)

    def all_checks(self) -> list[Check]:
        """Every check on every node, ordered by node then check ID."""
        out: list[Check] = []
        for name in sorted(self.nodes):
            out.extend(self._checks_on(name))
        return out
