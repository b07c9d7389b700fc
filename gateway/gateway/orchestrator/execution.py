"""One run of a flow: OPEA's scheduling loop plus conditions, retries, failures and a trace.

Scheduling follows OPEA: roots start at once (each on its own copy of the initial inputs),
a node starts when every predecessor still connected to it in the per-request
``runtime_graph`` has finished, and edges that are not taken (condition false,
``downstream_black_list``, failed source) are deleted from that graph. A node whose
incoming edges are all gone is skipped, and so are nodes only it fed.
"""

from __future__ import annotations

import asyncio
import copy
import logging
import re
import time
from collections import deque
from collections.abc import Coroutine
from typing import Any

from fastapi.responses import StreamingResponse

from ..observability.stats import milliseconds
from ..observability.tracing import node_span, tracer
from .caller import NodeCaller, NodeRequest, NodeResponse
from .conditions import SUCCESS
from .constants import ServiceType
from .dag import DAG
from .documents import copy_document
from .errors import FlowError, NodeCallError
from .hooks import AlignHooks
from .microservice import DEFAULT_TIMEOUT, MicroService
from .observer import FlowObserver
from .plan import Plan
from .reducers import ReducerError, reduce_inputs, validate_reducer
from .sse import StreamHandle

__all__ = ["Execution", "RuntimeGraph"]

log = logging.getLogger("gateway.orchestrator")

_LLM_TYPES = (ServiceType.LLM, ServiceType.LVM)
_TIMEOUT_GRACE = 0.25  # let the caller's own timeout (which knows the instance) fire first


class RuntimeGraph(DAG):
    """The per-request graph OPEA returns, plus this run's ``trace``."""

    def __init__(self) -> None:
        super().__init__()
        self.trace: list[dict[str, Any]] = []
        self.collisions: list[str] = []


class _Outcome:
    __slots__ = ("key", "ok", "inputs", "output", "status", "error", "streaming")

    def __init__(
        self,
        key: str,
        ok: bool,
        inputs: Any,
        output: Any = None,
        status: int | None = None,
        error: FlowError | None = None,
        streaming: bool = False,
    ) -> None:
        self.key, self.ok, self.inputs, self.output = key, ok, inputs, output
        self.status, self.error, self.streaming = status, error, streaming


class Execution:
    def __init__(
        self,
        orchestrator: AlignHooks,
        plan: Plan,
        caller: NodeCaller,
        observer: FlowObserver,
        llm_parameters: dict[str, Any] | None,
        llm_parameters_dict: dict[str, Any],
        kwargs: dict[str, Any],
    ) -> None:
        self.orch = orchestrator
        self.plan = plan
        self.caller = caller
        # A caller that bounds every call by the node's timeout itself saves the engine's
        # safety-net timer (a timer handle per node).
        self.caller_times_out = bool(getattr(caller, "enforces_timeout", False))
        self.observer = observer
        self.llm_parameters = llm_parameters
        self.llm_parameters_dict = llm_parameters_dict
        self.kwargs = kwargs
        self.runtime = RuntimeGraph()
        self.runtime.graph = copy.copy(plan.graph)
        for node in self.runtime.graph:
            self.runtime.graph[node] = set(plan.graph[node])
        self.result_dict: dict[str, Any] = {}
        self.tasks: dict[asyncio.Task[_Outcome], str] = {}
        self.ready: list[tuple[str, Any]] = []  # started nodes waiting for a task (or inline run)
        self.done: deque[asyncio.Task[_Outcome]] = deque()
        self._wakeup: asyncio.Future[None] | None = None
        self.started: set[str] = set()
        self.finished: set[str] = set()
        self.payloads: dict[tuple[str, str], Any] = {}
        self.streams: list[StreamHandle] = []
        self.t0 = time.perf_counter()
        self.roots: list[str] = []

    # -- main loop -----------------------------------------------------------------------------
    async def run(self, initial_inputs: Any) -> tuple[dict[str, Any], RuntimeGraph]:
        self.roots = [n for n in self.runtime.ind_nodes() if n not in self.plan.standby]
        try:
            for root in self.roots:
                self._start(root, copy_document(initial_inputs))
            while self.ready or self.tasks:
                if len(self.ready) == 1 and not self.tasks:
                    # The only runnable node (every node of a chain): awaited in this task, no
                    # task of its own and no wait() (half the engine's cost per node).
                    key, inputs = self.ready.pop()
                    self._finish(await self._node(key, inputs))
                    continue
                for key, inputs in self.ready:
                    task = asyncio.create_task(self._node(key, inputs), name=f"flow:{self.plan.flow}:{key}")
                    task.add_done_callback(self._task_done)
                    self.tasks[task] = key
                self.ready.clear()
                if not self.done:
                    self._wakeup = asyncio.get_running_loop().create_future()
                    await self._wakeup
                while self.done:
                    task = self.done.popleft()
                    self.tasks.pop(task)
                    self._finish(task.result())
        except BaseException:
            await self._abort()
            raise
        self._prune()
        return self.result_dict, self.runtime

    def _start(self, key: str, inputs: Any) -> None:
        self.started.add(key)
        self.ready.append((key, inputs))

    def _node(self, key: str, inputs: Any) -> Coroutine[Any, Any, _Outcome]:
        # A "flow node" span only when spans are exported (propagation needs none).
        return self._run_node(key, inputs) if tracer() is None else self._run_traced_node(key, inputs)

    def _task_done(self, task: asyncio.Task[_Outcome]) -> None:
        """Done callback: queue the finished node and wake the loop in ``run`` (cheaper than
        ``asyncio.wait``, which adds and removes a callback on every pending task per call)."""
        self.done.append(task)
        wakeup = self._wakeup
        if wakeup is not None and not wakeup.done():
            wakeup.set_result(None)

    async def _run_traced_node(self, key: str, inputs: Any) -> _Outcome:
        with node_span(self.plan.flow, self.plan.short(key)):
            return await self._run_node(key, inputs)

    def _finish(self, outcome: _Outcome) -> None:
        key = outcome.key
        downstream = self.runtime.downstream(key)
        if outcome.ok:
            self.result_dict[key] = outcome.output
            self.finished.add(key)
            if not outcome.streaming:
                self._black_list(key, outcome.output, downstream)
            for succ in self.runtime.downstream(key):
                cond = self.plan.conditions.get((key, succ), SUCCESS)
                if cond.on_success(outcome.output, outcome.inputs, outcome.status):
                    self.payloads[(key, succ)] = outcome.output
                else:
                    self.runtime.delete_edge(key, succ)
        else:
            error = outcome.error
            assert error is not None
            handlers = [d for d in downstream if self.plan.conditions.get((key, d), SUCCESS).on_error()]
            svc = self.plan.services[key]
            if not handlers and not svc.continue_on_error:
                raise error
            self.finished.add(key)
            for succ in downstream:
                if succ in handlers:
                    self.payloads[(key, succ)] = {"error": error.to_dict(), "input": outcome.inputs}
                else:
                    self.runtime.delete_edge(key, succ)
        for succ in downstream:
            self._settle(succ)

    def _black_list(self, key: str, output: Any, downstream: list[str]) -> None:
        """OPEA's runtime pruning: regex *search* of each pattern against downstream names."""
        if not isinstance(output, dict) or not output.get("downstream_black_list"):
            return
        patterns = output["downstream_black_list"]
        if not isinstance(patterns, list):
            return
        for succ in downstream:
            for pattern in patterns:
                try:
                    hit = re.findall(str(pattern), succ)
                except re.error:
                    log.warning(
                        "flow %s: invalid downstream_black_list pattern %r from %s",
                        self.plan.flow,
                        pattern,
                        key,
                    )
                    continue
                if hit:
                    self.runtime.delete_edge(key, succ)
                    self._trace_note(
                        succ, f"edge from {self.plan.short(key)} pruned by downstream_black_list"
                    )
                    break

    def _settle(self, node: str) -> None:
        if node in self.started or node in self.finished:
            return
        preds = self.runtime.predecessors(node)
        if not preds:
            self._skip(node)
            return
        if any(p not in self.finished for p in preds):
            return
        svc = self.plan.services[node]
        reducer = validate_reducer(svc.reducer) if svc.reducer is not None else self.plan.reducer
        items = [
            (self.plan.short(p) if reducer == "namespaced" else p, self.payloads[(p, node)]) for p in preds
        ]
        try:
            inputs = reduce_inputs(reducer, items, self.runtime.collisions)
        except ReducerError as exc:
            raise FlowError(
                flow=self.plan.flow,
                node=self.plan.short(node),
                kind="merge",
                message=str(exc),
                service=svc.service,
            ) from exc
        if inputs is self.payloads[(preds[0], node)] and isinstance(inputs, dict):
            # a passed-through output gets a new top-level dict, as OPEA's merge gives one:
            # hooks editing a node's inputs must not edit the predecessor's result
            inputs = dict(inputs)
        self._start(node, inputs)

    def _skip(self, node: str) -> None:
        self.finished.add(node)
        self.runtime.trace.append(
            {"node": self.plan.short(node), "key": node, "status": "skipped", "attempts": []}
        )
        for succ in self.runtime.downstream(node):
            self.runtime.delete_edge(node, succ)
            self._settle(succ)

    def _trace_note(self, node: str, note: str) -> None:
        self.runtime.trace.append(
            {"node": self.plan.short(node), "key": node, "status": "pruned", "note": note, "attempts": []}
        )

    async def _abort(self) -> None:
        self.ready.clear()
        pending = list(self.tasks)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        self.tasks.clear()
        for handle in self.streams:
            await handle.abort()

    def _prune(self) -> None:
        """Keep what ran and is reachable from a root (OPEA keeps roots + their descendants)."""
        graph = self.runtime.graph
        keep = {root for root in self.roots if root in graph}
        stack = list(keep)
        while stack:
            for succ in graph[stack.pop()]:
                if succ not in keep:
                    keep.add(succ)
                    stack.append(succ)
        for node in list(graph):
            if node not in keep or node not in self.result_dict:
                self.runtime.delete_node(node)

    # -- one node ------------------------------------------------------------------------------
    async def _run_node(self, key: str, inputs: Any) -> _Outcome:
        svc = self.plan.services[key]
        entry: dict[str, Any] = {
            "node": self.plan.short(key),
            "key": key,
            "service": svc.service,
            "status": "running",
            "started_ms": milliseconds(time.perf_counter() - self.t0),
            "attempts": [],
        }
        self.runtime.trace.append(entry)
        t0 = time.perf_counter()
        ok = False
        try:
            if (
                self.llm_parameters is not None
                and svc.service_type in _LLM_TYPES
                and isinstance(inputs, dict)
            ):
                inputs = {**inputs, **self.llm_parameters}
            inputs = self.orch.align_inputs(
                inputs, key, self.runtime, self.llm_parameters_dict, **self.kwargs
            )
            producer = key
            try:
                response = await self._call(svc, key, inputs, entry)
            except NodeCallError as first:
                retried = await self._retry_edges(key, inputs, entry, first)
                if isinstance(retried, FlowError):
                    entry["status"] = "failed"
                    entry["error"] = retried.to_dict()
                    return _Outcome(key, False, inputs, error=retried)
                producer, response = retried
            try:
                if response.stream is None:  # the usual document answer: no coroutine for it
                    output, streaming = response.body, False
                else:
                    output, streaming = await self._output(response, producer, key)
            except NodeCallError as exc:  # a stream that broke or cannot be collected
                error = FlowError(
                    flow=self.plan.flow,
                    node=self.plan.short(producer),
                    kind=exc.kind,
                    message=exc.message,
                    instance=response.instance,
                    attempt=max(len(entry["attempts"]), 1),
                    status=response.status,
                    service=self.plan.services[producer].service,
                )
                entry["status"] = "failed"
                entry["error"] = error.to_dict()
                return _Outcome(key, False, inputs, error=error)
            output = self.orch.align_outputs(
                output, producer, inputs, self.runtime, self.llm_parameters_dict, **self.kwargs
            )
            if producer != key:
                self.result_dict[producer] = output
                entry["produced_by"] = self.plan.short(producer)
            entry["status"] = "ok"
            entry["http_status"] = response.status
            entry["streaming"] = streaming
            ok = True
            return _Outcome(key, True, inputs, output, response.status, streaming=streaming)
        except asyncio.CancelledError:
            entry["status"] = "cancelled"
            raise
        finally:
            elapsed = time.perf_counter() - t0
            entry["duration_ms"] = milliseconds(elapsed)
            if entry["status"] != "cancelled":
                self.observer.node_finished(self.plan.flow, self.plan.short(key), ok, elapsed)

    async def _retry_edges(
        self, key: str, inputs: Any, entry: dict[str, Any], first: NodeCallError
    ) -> tuple[str, NodeResponse] | FlowError:
        last = first
        for edge in self.plan.retry_edges.get(key, []):
            target = self.plan.services[edge.target]
            for _ in range(edge.attempts):
                try:
                    return edge.target, await self._call(target, edge.target, inputs, entry, retry_edge=True)
                except NodeCallError as exc:
                    last = exc
        attempt = len(entry["attempts"])
        svc = self.plan.services[key]
        message = last.message
        if last is not first:
            message = f"{first.message}; retries over retry edges failed too, last: {last.message}"
        entry["instance"] = last.instance
        return FlowError(
            flow=self.plan.flow,
            node=self.plan.short(key),
            kind=last.kind,
            message=message,
            instance=last.instance,
            attempt=max(attempt, 1),
            status=last.status,
            service=svc.service,
        )

    async def _call(
        self, svc: MicroService, key: str, inputs: Any, entry: dict[str, Any], retry_edge: bool = False
    ) -> NodeResponse:
        timeout = svc.timeout or self.plan.default_timeout or DEFAULT_TIMEOUT
        request = NodeRequest(
            node=key,
            service=svc.service,
            endpoint=svc.endpoint,
            timeout=timeout,
            host=svc.host,
            port=svc.port,
            protocol=svc.protocol,
            api_key=svc.api_key,
            headers=svc.headers,
        )
        tries = svc.retries + 1
        for i in range(tries):
            t0 = time.perf_counter()
            record: dict[str, Any] = {"attempt": len(entry["attempts"]) + 1, "node": self.plan.short(key)}
            if retry_edge:
                record["retry_edge"] = True
            entry["attempts"].append(record)
            try:
                if self.caller_times_out:
                    response = await self.caller.call(request, inputs)
                else:
                    try:
                        async with asyncio.timeout(timeout + _TIMEOUT_GRACE):
                            response = await self.caller.call(request, inputs)
                    except TimeoutError as exc:
                        raise NodeCallError("timeout", f"no response within {timeout}s") from exc
                record.update(
                    instance=response.instance, status=response.status, instance_attempts=response.attempts
                )
                entry["instance"] = response.instance
                if response.status >= 400:
                    if response.close is not None:
                        await response.close()
                    raise NodeCallError(
                        "http_status",
                        f"upstream answered {response.status}: {_snippet(response.body)}",
                        instance=response.instance,
                        status=response.status,
                        attempts=response.attempts,
                    )
                record["ms"] = milliseconds(time.perf_counter() - t0)
                return response
            except NodeCallError as exc:
                record.update(
                    instance=exc.instance,
                    status=exc.status,
                    error=exc.kind,
                    message=exc.message,
                    ms=milliseconds(time.perf_counter() - t0),
                )
                entry["instance"] = exc.instance
                if i + 1 < tries and exc.retryable:
                    await asyncio.sleep(min(0.05 * 2**i, 1.0))
                    continue
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    async def _output(self, response: NodeResponse, producer: str, key: str) -> tuple[Any, bool]:
        if response.stream is None:
            return response.body, False
        handle = StreamHandle(
            response.stream, response.close, self.observer, self.plan.flow, self.plan.short(producer), self.t0
        )
        if self.runtime.downstream(key):
            # a node follows the stream: it needs a document, so the stream is collected
            return await handle.collect(), False
        self.streams.append(handle)
        generator = self.orch.align_generator(handle.relay(), **self.kwargs)
        return StreamingResponse(generator, media_type="text/event-stream"), True


def _snippet(body: Any, limit: int = 300) -> str:
    text = body.decode(errors="replace") if isinstance(body, bytes) else str(body)
    return text if len(text) <= limit else text[:limit] + "..."
