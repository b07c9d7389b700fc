"""OPEA's ``DAG``: an ordered adjacency map ``node -> set(successors)`` with the same methods.

Differences from OPEA, both deliberate: ``downstream()`` returns successors in node
insertion order (OPEA's comes from a set, so its order is not deterministic), and
``add_edge`` refuses self-loops with the same "validation error!" as a cycle.
"""

from __future__ import annotations

import copy
from collections import OrderedDict
from collections.abc import Mapping, Sequence

__all__ = ["DAG"]


class DAG:
    def __init__(self) -> None:
        self.graph: OrderedDict[str, set[str]] = OrderedDict()

    # -- nodes -----------------------------------------------------------------------------
    def add_node(self, node_name: str, graph: OrderedDict[str, set[str]] | None = None) -> None:
        target = self.graph if graph is None else graph
        if node_name in target:
            raise KeyError(f"node {node_name} already exists")
        target[node_name] = set()

    def add_node_if_not_exists(self, node_name: str, graph: OrderedDict[str, set[str]] | None = None) -> None:
        try:
            self.add_node(node_name, graph=graph)
        except KeyError:
            pass

    def delete_node(self, node_name: str, graph: OrderedDict[str, set[str]] | None = None) -> None:
        target = self.graph if graph is None else graph
        if node_name not in target:
            raise KeyError(f"node {node_name} does not exist")
        target.pop(node_name)
        for edges in target.values():
            edges.discard(node_name)

    def delete_node_if_exists(self, node_name: str, graph: OrderedDict[str, set[str]] | None = None) -> None:
        try:
            self.delete_node(node_name, graph=graph)
        except KeyError:
            pass

    # -- edges -----------------------------------------------------------------------------
    def add_edge(self, ind_node: str, dep_node: str, graph: OrderedDict[str, set[str]] | None = None) -> None:
        target = self.graph if graph is None else graph
        if ind_node not in target or dep_node not in target:
            raise KeyError("one or more nodes do not exist in graph")
        trial = copy.deepcopy(target)
        trial[ind_node].add(dep_node)
        valid, _ = self.validate(trial)
        if not valid or ind_node == dep_node:
            raise Exception("validation error!")
        target[ind_node].add(dep_node)

    def delete_edge(
        self, ind_node: str, dep_node: str, graph: OrderedDict[str, set[str]] | None = None
    ) -> None:
        target = self.graph if graph is None else graph
        if dep_node not in target.get(ind_node, set()):
            raise KeyError("this edge does not exist in graph")
        target[ind_node].remove(dep_node)

    # -- queries ---------------------------------------------------------------------------
    def predecessors(self, node: str, graph: OrderedDict[str, set[str]] | None = None) -> list[str]:
        target = self.graph if graph is None else graph
        return [key for key in target if node in target[key]]

    def downstream(self, node: str, graph: OrderedDict[str, set[str]] | None = None) -> list[str]:
        target = self.graph if graph is None else graph
        if node not in target:
            raise KeyError(f"node {node} is not in graph")
        succ = target[node]
        return [key for key in target if key in succ]

    def all_downstreams(self, node: str, graph: OrderedDict[str, set[str]] | None = None) -> list[str]:
        target = self.graph if graph is None else graph
        nodes = [node]
        seen: set[str] = set()
        i = 0
        while i < len(nodes):
            for succ in self.downstream(nodes[i], target):
                if succ not in seen:
                    seen.add(succ)
                    nodes.append(succ)
            i += 1
        return [n for n in self.topological_sort(target) if n in seen]

    def all_leaves(self, graph: OrderedDict[str, set[str]] | None = None) -> list[str]:
        target = self.graph if graph is None else graph
        return [key for key in target if not target[key]]

    def ind_nodes(self, graph: OrderedDict[str, set[str]] | None = None) -> list[str]:
        target = self.graph if graph is None else graph
        dependent = {node for succ in target.values() for node in succ}
        return [node for node in target if node not in dependent]

    def from_dict(self, graph_dict: Mapping[str, Sequence[str]]) -> None:
        self.reset_graph()
        for name in graph_dict:
            self.add_node(name)
        for ind_node, dep_nodes in graph_dict.items():
            if not isinstance(dep_nodes, list):
                raise TypeError("dict values must be lists")
            for dep_node in dep_nodes:
                self.add_edge(ind_node, dep_node)

    def topological_sort(self, graph: OrderedDict[str, set[str]] | None = None) -> list[str]:
        """Kahn's algorithm with a LIFO ready list, as OPEA; ``ValueError`` on a cycle."""
        target = self.graph if graph is None else graph
        in_degree = {u: 0 for u in target}
        for succ in target.values():
            for v in succ:
                in_degree[v] += 1
        ready = [u for u in target if in_degree[u] == 0]
        order: list[str] = []
        while ready:
            u = ready.pop()
            order.append(u)
            for v in self.downstream(u, target):
                in_degree[v] -= 1
                if in_degree[v] == 0:
                    ready.append(v)
        if len(order) != len(target):
            raise ValueError("graph is not acyclic")
        return order

    def validate(self, graph: OrderedDict[str, set[str]] | None = None) -> tuple[bool, str]:
        target = self.graph if graph is None else graph
        if len(self.ind_nodes(target)) == 0:
            return False, "no independent nodes detected"
        try:
            self.topological_sort(target)
        except ValueError:
            return False, "failed topological sort"
        return True, "valid"

    def size(self) -> int:
        return len(self.graph)

    def reset_graph(self) -> None:
        self.graph = OrderedDict()

    def copy_graph(self) -> OrderedDict[str, set[str]]:
        """A copy whose successor sets can be mutated independently (per-request graphs)."""
        return OrderedDict((node, set(succ)) for node, succ in self.graph.items())
