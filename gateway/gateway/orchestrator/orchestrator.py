"""OPEA's ``ServiceOrchestrator``: ``add``/``flow_to``/``schedule`` plus ``set_flow`` and more.

Compatible with OPEA megaservice code (import change only). Additions: conditional and
retry edges (``set_flow`` or ``flow_to(..., condition=...)``), per-instance hooks and
fan-in reducer (constructor arguments; subclassing and patching the class still work),
structured ``FlowError`` failures that cancel sibling branches, and an execution trace on
the returned ``runtime_graph`` (``runtime_graph.trace``).
"""

from __future__ import annotations

import copy
import logging
import re
import time
from collections.abc import AsyncIterator, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from .caller import NodeCaller
from .conditions import Condition, ConditionError, parse_condition
from .dag import DAG
from .defaults import default_caller, default_observer
from .errors import FlowDefinitionError, FlowError
from .execution import Execution, RuntimeGraph
from .microservice import DEFAULT_TIMEOUT, MicroService
from .observer import FlowObserver
from .params import LLMParams
from .plan import Plan, RetryEdge
from .reducers import Reducer, ReducerError, validate_reducer

__all__ = ["FlowRun", "ServiceOrchestrator"]

log = logging.getLogger("gateway.orchestrator")
_TOKEN = re.compile(r"\s?\S+\s?", re.UNICODE)  # OPEA's token_generator split

_NODE_OPTIONS = {"timeout", "retries", "continue_on_error", "reducer", "endpoint"}
_ENTRY_KEYS = {"service", "next"} | _NODE_OPTIONS
_EDGE_KEYS = {"service", "condition", "attempts"}
DEFAULT_RETRY_ATTEMPTS = 2
# Built once: every default is a scalar, so a shallow copy per run is a fresh document.
_DEFAULT_LLM_PARAMS = LLMParams().model_dump()
MAX_RETRY_ATTEMPTS = 10


@dataclass
class FlowRun:
    """A finished run: OPEA's pair plus the trace and the flow's answer."""

    result_dict: dict[str, Any]
    runtime_graph: RuntimeGraph
    output: Any
    duration_ms: float

    @property
    def trace(self) -> list[dict[str, Any]]:
        return self.runtime_graph.trace


class ServiceOrchestrator(DAG):
    def __init__(
        self,
        name: str = "orchestrator",
        *,
        caller: NodeCaller | None = None,
        observer: FlowObserver | None = None,
        reducer: Reducer = "merge",
        timeout: float = DEFAULT_TIMEOUT,
        align_inputs: Callable[..., Any] | None = None,
        align_outputs: Callable[..., Any] | None = None,
        align_generator: Callable[..., Any] | None = None,
    ) -> None:
        super().__init__()
        self.name = name
        self.services: dict[str, MicroService] = {}
        self.caller = caller
        self.observer = observer
        self.reducer = validate_reducer(reducer)
        if timeout <= 0:
            raise ValueError("timeout must be > 0 seconds")
        self.timeout = timeout
        self.output_node: str | None = None
        self._conditions: dict[tuple[str, str], Condition] = {}
        self._retry_edges: dict[str, list[RetryEdge]] = {}
        self._standby: set[str] = set()
        # Per-instance hooks shadow the class methods (which OPEA code patches on the class).
        if align_inputs is not None:
            self.align_inputs = align_inputs  # type: ignore[method-assign]
        if align_outputs is not None:
            self.align_outputs = align_outputs  # type: ignore[method-assign]
        if align_generator is not None:
            self.align_generator = align_generator  # type: ignore[method-assign]

    # -- building ------------------------------------------------------------------------------
    def add(self, service: MicroService) -> ServiceOrchestrator:
        if service.name in self.services:
            raise Exception(f"Service {service.name} already exists!")
        self.services[service.name] = service
        self.add_node(service.name)
        return self

    def flow_to(
        self,
        from_service: MicroService | str,
        to_service: MicroService | str,
        condition: str | None = None,
        attempts: int = DEFAULT_RETRY_ATTEMPTS,
    ) -> bool:
        """Add an edge (optionally conditional); ``False`` on an unknown node or a cycle, as OPEA."""
        try:
            src, dst = self._key(from_service), self._key(to_service)
            self._connect(src, dst, parse_condition(condition), attempts)
            return True
        except Exception as exc:  # OPEA logs and returns False for any error
            log.error("flow_to(%s, %s) failed: %s", _label(from_service), _label(to_service), exc)
            return False

    def set_flow(
        self,
        flow: Sequence[Mapping[str, Any]],
        *,
        replace: bool = True,
        auto_add: bool = True,
        source: str | None = None,
    ) -> ServiceOrchestrator:
        """Define the graph from ``[{"service": a, "next": [b, {"service": c, "condition": ...}]}]``.

        Names are short (``"a"``) or full (``"a/MicroService"``). With ``auto_add`` a name that
        was never ``add()``-ed becomes a node resolved by discovery under that service name.
        ``replace`` drops the existing edges first. Entries may also set node options:
        ``timeout``, ``retries``, ``continue_on_error``, ``reducer``, ``endpoint``.
        """
        if isinstance(flow, (str, bytes)) or not isinstance(flow, Sequence):
            raise FlowDefinitionError("flow must be a list of {service, next} entries", source=source)
        saved = (
            self.copy_graph(),
            dict(self._conditions),
            copy.deepcopy(self._retry_edges),
            set(self._standby),
            dict(self.services),
        )
        try:
            if replace:
                for node in self.graph:
                    self.graph[node] = set()
                self._conditions.clear()
                self._retry_edges.clear()
                self._standby.clear()
            for index, entry in enumerate(flow):
                self._apply_entry(index, entry, auto_add, source)
            self._check_standby(source)
        except Exception:
            self.graph, self._conditions, self._retry_edges, self._standby, services = saved
            for name in list(self.services):
                if name not in services:
                    del self.services[name]
            raise
        return self

    def _apply_entry(self, index: int, entry: Mapping[str, Any], auto_add: bool, source: str | None) -> None:
        where = f"flow[{index}]"
        if not isinstance(entry, Mapping) or "service" not in entry:
            raise FlowDefinitionError(f"{where} must be an object with a 'service' field", source=source)
        unknown = set(entry) - _ENTRY_KEYS
        if unknown:
            raise FlowDefinitionError(
                f"{where} has unknown field(s) {sorted(unknown)}; allowed: {sorted(_ENTRY_KEYS)}",
                source=source,
                node=str(entry["service"]),
            )
        src = self._resolve(entry["service"], auto_add, source)
        self._apply_options(src, entry, source)
        nexts = entry.get("next", [])
        if isinstance(nexts, (str, Mapping)):
            nexts = [nexts]
        if not isinstance(nexts, list):
            raise FlowDefinitionError(f"{where}.next must be a list", source=source, node=_short(src))
        for item in nexts:
            if isinstance(item, str):
                target, cond_text, attempts = item, None, DEFAULT_RETRY_ATTEMPTS
            elif isinstance(item, Mapping) and "service" in item:
                bad = set(item) - _EDGE_KEYS
                if bad:
                    raise FlowDefinitionError(
                        f"edge to {item['service']!r} has unknown field(s) {sorted(bad)}",
                        source=source,
                        node=_short(src),
                    )
                target, cond_text = item["service"], item.get("condition")
                attempts = item.get("attempts", DEFAULT_RETRY_ATTEMPTS)
            else:
                raise FlowDefinitionError(
                    f"{where}.next items must be a name or {{service, condition}}",
                    source=source,
                    node=_short(src),
                )
            dst = self._resolve(target, auto_add, source)
            try:
                condition = parse_condition(cond_text)
            except ConditionError as exc:
                raise FlowDefinitionError(
                    f"bad condition on edge to {_short(dst)!r}: {exc}", source=source, node=_short(src)
                ) from exc
            try:
                self._connect(src, dst, condition, attempts)
            except FlowDefinitionError:
                raise
            except Exception as exc:
                raise FlowDefinitionError(
                    f"edge to {_short(dst)!r} would create a cycle", source=source, node=_short(src)
                ) from exc

    def _apply_options(self, key: str, entry: Mapping[str, Any], source: str | None) -> None:
        svc = self.services[key]
        try:
            if "timeout" in entry:
                timeout = float(entry["timeout"])
                if timeout <= 0:
                    raise ValueError("timeout must be > 0")
                svc.timeout = timeout
            if "retries" in entry:
                retries = entry["retries"]
                if not isinstance(retries, int) or isinstance(retries, bool) or not 0 <= retries <= 10:
                    raise ValueError("retries must be an integer 0-10")
                svc.retries = retries
            if "continue_on_error" in entry:
                if not isinstance(entry["continue_on_error"], bool):
                    raise ValueError("continue_on_error must be true or false")
                svc.continue_on_error = entry["continue_on_error"]
            if "reducer" in entry:
                svc.reducer = validate_reducer(entry["reducer"])
            if "endpoint" in entry:
                endpoint = str(entry["endpoint"])
                svc.endpoint = endpoint if endpoint.startswith("/") else f"/{endpoint}"
        except (TypeError, ValueError, ReducerError) as exc:
            raise FlowDefinitionError(str(exc), source=source, node=_short(key)) from exc

    def _connect(self, src: str, dst: str, condition: Condition, attempts: int) -> None:
        if condition.kind == "retry":
            if (
                not isinstance(attempts, int)
                or isinstance(attempts, bool)
                or not 1 <= attempts <= MAX_RETRY_ATTEMPTS
            ):
                raise FlowDefinitionError(
                    f"retry edge 'attempts' must be an integer 1-{MAX_RETRY_ATTEMPTS}", node=_short(src)
                )
            self._retry_edges.setdefault(src, []).append(RetryEdge(dst, attempts))
            if dst != src:
                self._standby.add(dst)
            return
        self.add_edge(src, dst)
        if condition.kind != "success":
            self._conditions[(src, dst)] = condition

    def _check_standby(self, source: str | None) -> None:
        for node in self._standby:
            if self.graph[node] or self.predecessors(node):
                raise FlowDefinitionError(
                    "a retry target stands in for the failed node and cannot have edges of its own",
                    source=source,
                    node=_short(node),
                )

    def _key(self, service: MicroService | str) -> str:
        if isinstance(service, MicroService):
            if service.name not in self.services:
                raise KeyError(f"{service.name} was not added")
            return service.name
        return self._resolve(service, auto_add=False, source=None)

    def _resolve(self, name: Any, auto_add: bool, source: str | None) -> str:
        if isinstance(name, MicroService):
            name = name.name
        if not isinstance(name, str) or not name:
            raise FlowDefinitionError(f"service name must be a non-empty string, got {name!r}", source=source)
        for key in (name, f"{name}/MicroService"):
            if key in self.services:
                return key
        if not auto_add:
            raise FlowDefinitionError(f"unknown service {name!r}; add() it first", source=source, node=name)
        log.info("set_flow: %r was not added; it becomes a node resolved by discovery", name)
        service = MicroService(name, use_remote_service=True)
        self.add(service)
        return service.name

    @property
    def retry_sources(self) -> frozenset[str]:
        """Nodes that have retry edges."""
        return frozenset(self._retry_edges)

    @property
    def standby_nodes(self) -> frozenset[str]:
        return frozenset(self._standby)

    def plan(self) -> Plan:
        return Plan(
            flow=self.name,
            services=dict(self.services),
            graph=self.copy_graph(),
            conditions=dict(self._conditions),
            retry_edges={k: list(v) for k, v in self._retry_edges.items()},
            standby=frozenset(self._standby),
            reducer=self.reducer,
            default_timeout=self.timeout,
        )

    # -- running -------------------------------------------------------------------------------
    async def schedule(
        self,
        initial_inputs: Mapping[str, Any] | BaseModel | Any,
        llm_parameters: LLMParams | Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> tuple[dict[str, Any], RuntimeGraph]:
        """Run the graph once; returns OPEA's ``(result_dict, runtime_graph)``.

        ``flow=[...]`` (same format as ``set_flow``) replaces the edges for this request only;
        every other keyword is forwarded to the hooks, as OPEA does.
        """
        run = await self.run(initial_inputs, llm_parameters, **kwargs)
        return run.result_dict, run.runtime_graph

    async def run(
        self, initial_inputs: Any, llm_parameters: LLMParams | Mapping[str, Any] | None = None, **kwargs: Any
    ) -> FlowRun:
        if isinstance(initial_inputs, BaseModel):
            initial_inputs = initial_inputs.model_dump(exclude_none=True)
        given: dict[str, Any] | None = None
        if isinstance(llm_parameters, BaseModel):
            given = llm_parameters.model_dump()
        elif llm_parameters is not None:
            given = LLMParams(**dict(llm_parameters)).model_dump()
        params_dict = given if given is not None else dict(_DEFAULT_LLM_PARAMS)
        observer = self.observer or default_observer()
        override = kwargs.pop("flow", None)
        plan = self.plan() if override is None else self._override_plan(override)
        execution = Execution(
            self, plan, self.caller or default_caller(), observer, given, params_dict, kwargs
        )
        observer.flow_started(self.name)
        t0 = time.perf_counter()
        ok = False
        try:
            result_dict, runtime_graph = await execution.run(initial_inputs)
            ok = True
        except FlowError as exc:
            exc.trace = execution.runtime.trace
            raise
        finally:
            observer.flow_finished(self.name, ok, time.perf_counter() - t0)
        return FlowRun(
            result_dict,
            runtime_graph,
            self.final_output(result_dict, runtime_graph),
            round((time.perf_counter() - t0) * 1000, 3),
        )

    def _override_plan(self, flow: Sequence[Mapping[str, Any]]) -> Plan:
        """``schedule(..., flow=[...])``: this request runs another set of edges over the same nodes."""
        clone = ServiceOrchestrator(self.name, reducer=self.reducer, timeout=self.timeout)
        for service in self.services.values():
            clone.add(copy.copy(service))  # set_flow node options must not leak into this orchestrator
        clone.set_flow(flow, source="schedule(flow=...)")
        return clone.plan()

    def final_output(self, result_dict: Mapping[str, Any], runtime_graph: DAG) -> Any:
        """The flow's answer: ``output_node`` if set, else the single leaf, else ``{leaf: output}``."""
        if self.output_node is not None:
            return result_dict.get(self.output_node)
        leaves = [leaf for leaf in runtime_graph.all_leaves() if leaf in result_dict]
        if len(leaves) == 1:
            return result_dict[leaves[0]]
        return {_short(leaf): result_dict[leaf] for leaf in leaves}

    # -- OPEA hooks (override per instance, by subclassing, or by patching the class) ----------
    def align_inputs(
        self,
        inputs: Any,
        cur_node: str,
        runtime_graph: DAG,
        llm_parameters_dict: dict[str, Any],
        **kwargs: Any,
    ) -> Any:
        return inputs

    def align_outputs(
        self,
        data: Any,
        cur_node: str,
        inputs: Any,
        runtime_graph: DAG,
        llm_parameters_dict: dict[str, Any],
        **kwargs: Any,
    ) -> Any:
        return data

    def align_generator(self, gen: AsyncIterator[bytes], **kwargs: Any) -> AsyncIterator[bytes]:
        return gen

    # -- OPEA helpers ---------------------------------------------------------------------------
    def extract_chunk_str(self, chunk_str: str) -> str:
        """OPEA's: the text of one ``data: b'...'`` SSE chunk; ``data: [DONE]`` gives ``""``."""
        if chunk_str == "data: [DONE]\n\n":
            return ""
        for prefix in ("data: b'", 'data: b"'):
            if chunk_str.startswith(prefix):
                chunk_str = chunk_str[len(prefix) :]
                break
        for suffix in ("'\n\n", '"\n\n'):
            if chunk_str.endswith(suffix):
                chunk_str = chunk_str[: -len(suffix)]
                break
        return chunk_str

    def token_generator(
        self, sentence: str, token_start: float, is_first: bool, is_last: bool
    ) -> Iterator[str]:
        """OPEA's: ``sentence`` re-tokenised (``\\s?\\S+\\s?``) as ``data: b'token'`` SSE chunks,
        ``data: [DONE]`` after the last; first-token and inter-token latencies are recorded
        (``token_start`` is a ``time.monotonic()`` value)."""
        observer = self.observer or default_observer()
        for token in _TOKEN.findall(sentence):
            now = time.monotonic()
            observer.stream_token(self.name, is_first, now - token_start)
            token_start, is_first = now, False
            yield "data: " + repr(token.replace("\\n", "\n").encode("utf-8")) + "\n\n"
        if is_last:
            yield "data: [DONE]\n\n"

    def get_all_final_outputs(self, result_dict: Mapping[str, Any], runtime_graph: DAG) -> dict[str, Any]:
        return {leaf: result_dict[leaf] for leaf in runtime_graph.all_leaves() if leaf in result_dict}

    def process_outputs(self, prev_nodes: Sequence[str], result_dict: Mapping[str, Any]) -> dict[str, Any]:
        merged: dict[str, Any] = {}
        for node in prev_nodes:
            merged.update(result_dict[node])
        return merged

    def describe(self) -> dict[str, Any]:
        edges: list[dict[str, Any]] = []
        for src in self.graph:
            for dst in self.downstream(src):
                cond = self._conditions.get((src, dst))
                edges.append(
                    {"from": _short(src), "to": _short(dst), "condition": cond.text if cond else "success"}
                )
        for src, redges in self._retry_edges.items():
            for edge in redges:
                edges.append(
                    {
                        "from": _short(src),
                        "to": _short(edge.target),
                        "condition": "retry",
                        "attempts": edge.attempts,
                    }
                )
        return {
            "name": self.name,
            "nodes": [svc.describe() for svc in self.services.values()],
            "edges": edges,
            "roots": [_short(n) for n in self.ind_nodes() if n not in self._standby],
            "leaves": [_short(n) for n in self.all_leaves() if n not in self._standby],
            "reducer": self.reducer if isinstance(self.reducer, str) else "callable",
            "timeout": self.timeout,
        }


def _short(key: str) -> str:
    return key[: -len("/MicroService")] if key.endswith("/MicroService") else key


def _label(service: MicroService | str) -> str:
    return service.name if isinstance(service, MicroService) else str(service)
