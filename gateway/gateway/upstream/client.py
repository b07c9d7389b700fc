"""Calls to upstream services: balancing, retries on another instance, passive ejection.

``ServiceClient.request(service, ...)`` reads the current routing table (never Consul), drops
ejected instances, lets the balancer pick one and sends the request over pooled keep-alive
connections (``http1.Http1Client``). Failures where the instance certainly did not process the
request (connect refused/timed out; and, unless disabled, a connection closed before any response
byte) are retried on a *different* instance, bounded by ``retry_attempts`` and ``retry_deadline``
(tenacity). Each try waits at most ``try_timeout`` for the response head, all tries together
at most the call's total ``timeout``. A per-try timeout is retried on another instance only for
idempotent requests (GET/HEAD/OPTIONS, or ``idempotent=True`` from a route that knows, such as
predictions); otherwise the upstream may be working on it and it becomes ``UpstreamTimeout``.
Timeouts count as failures for passive ejection, so a hung instance is soon skipped.
"""

from __future__ import annotations

import logging
import ssl
import time
from collections.abc import AsyncIterable, Callable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, stop_after_delay

from ..balancing.balancer import Balancer
from ..discovery.instance import Instance
from ..discovery.table import RoutingTable
from ..limits.hops import HOP_HEADER, outgoing_hops
from ..observability.metrics import GatewayMetrics
from ..observability.stats import StatisticsStore
from ..observability.tracing import attempt_headers, end_attempt
from .ejection import Ejector
from .errors import NoHealthyInstance, UpstreamError, UpstreamTimeout, UpstreamUnavailable
from .http1 import ConnectError, Http1Client, HttpError, NoResponse, RawResponse, ResponseTimeout
from .request import ReplayGuard, UpstreamRequest
from .response import UpstreamResponse

__all__ = ["Body", "HeaderInput", "InstanceFilter", "ServiceClient"]

log = logging.getLogger("gateway.upstream")

Body = bytes | AsyncIterable[bytes] | None
HeaderInput = Mapping[str, str] | Sequence[tuple[str, str]] | Sequence[tuple[bytes, bytes]] | None
InstanceFilter = Callable[[Instance], bool]
# A call's timeout, try_timeout, attempts, idempotent and retry_statuses (see ``request``).
_CallOptions = tuple[float | None, float | None, int | None, bool | None, frozenset[int] | None]

_IDEMPOTENT = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})
# Methods whose per-try timeout is retried elsewhere by default (safe and cheap to repeat).
_RETRY_ON_TIMEOUT = frozenset({"GET", "HEAD", "OPTIONS"})


class _Retryable(Exception):
    """Internal: this attempt failed in a way that is safe to retry elsewhere."""

    def __init__(self, error: UpstreamError) -> None:
        super().__init__(error.detail)
        self.error = error


class ServiceClient:
    """Upstream caller shared by every gateway route and extension."""

    def __init__(
        self,
        table: Callable[[], RoutingTable],
        balancer: Balancer,
        ejector: Ejector,
        *,
        timeout: float = 30.0,
        try_timeout: float | None = None,
        connect_timeout: float = 1.0,
        attempts: int = 3,
        deadline: float = 5.0,
        retry_unanswered: bool = True,
        pool_size: int = 512,
        ssl_context: ssl.SSLContext | None = None,
        metrics: GatewayMetrics | None = None,
        stats: StatisticsStore | None = None,
    ) -> None:
        self._table = table
        self.balancer = balancer
        self.ejector = ejector
        self.timeout = timeout
        self.try_timeout = try_timeout or timeout
        self.connect_timeout = connect_timeout
        self.attempts = attempts
        self.deadline = deadline
        self.retry_unanswered = retry_unanswered
        self.pool_size = pool_size
        self.metrics = metrics
        self.stats = stats
        self.http = Http1Client(max_idle_per_host=pool_size, ssl_context=ssl_context)
        self._latency: dict[str, Any] = {}
        self._fixed: dict[tuple[str, str, int, bool], Instance] = {}

    # ---------------------------------------------------------------- lifecycle
    async def close(self) -> None:
        await self.http.close()

    # ---------------------------------------------------------------- public API
    async def request(
        self,
        service: str,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | Sequence[tuple[str, str]] | str | None = None,
        headers: HeaderInput = None,
        body: Body = None,
        timeout: float | None = None,
        instance_filter: InstanceFilter | None = None,
        stream: bool = False,
        attempts: int | None = None,
        candidates: tuple[Instance, ...] | None = None,
        idempotent: bool | None = None,
        try_timeout: float | None = None,
        retry_statuses: frozenset[int] | None = None,
    ) -> UpstreamResponse:
        """Send ``method path`` to one passing instance of ``service``; see the module docstring.

        ``idempotent``: retry a per-try timeout on another instance (default: GET/HEAD/OPTIONS).
        ``candidates``: the instances to balance over, already chosen by the caller (a version
        of the service); default: every instance in the routing table.
        ``try_timeout``: per-try limit for this call (a service's policy; default the client's).
        ``retry_statuses``: upstream answers with these statuses are retried on another instance
        while attempts remain and the body can be replayed; the last answer is returned as is.

        ``path`` starts with ``/`` and is already percent-encoded; ``query`` is a mapping, pairs
        or an encoded query string. Raises ``NoHealthyInstance`` (503), ``UpstreamTimeout`` (504)
        or ``UpstreamUnavailable`` (502); upstream 4xx/5xx are returned.

            resp = await client.request("echo-service", "POST", "/echo", body=b'{"a": 1}')
            resp.status, resp.json(), resp.instance.url, resp.attempts
        """
        instances, policy = self._eligible(service, candidates, instance_filter)
        return await self._call(
            service,
            instances,
            method,
            path,
            query,
            headers,
            body,
            timeout,
            stream,
            attempts,
            policy,
            idempotent=idempotent,
            try_timeout=try_timeout,
            retry_statuses=retry_statuses,
        )

    async def request_instance(
        self,
        instance: Instance,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | Sequence[tuple[str, str]] | str | None = None,
        headers: HeaderInput = None,
        body: Body = None,
        timeout: float | None = None,
        stream: bool = False,
    ) -> UpstreamResponse:
        """One attempt to exactly this instance (no balancing, no retry)."""
        return await self._call(
            instance.service, (instance,), method, path, query, headers, body, timeout, stream, 1, None
        )

    async def request_direct(
        self,
        host: str,
        port: int,
        method: str,
        path: str,
        *,
        query: Mapping[str, str] | Sequence[tuple[str, str]] | str | None = None,
        headers: HeaderInput = None,
        body: Body = None,
        timeout: float | None = None,
        stream: bool = False,
        attempts: int = 1,
        label: str | None = None,
        tls: bool = False,
    ) -> UpstreamResponse:
        """Call a fixed ``host:port`` (e.g. an OPEA node given by address); same errors and response.

        Connect failures are retried on the same address up to ``attempts`` times. ``tls``:
        HTTPS, the certificate verified for ``host``.
        """
        name = label or f"{host}:{port}"
        key = (name, host, port, tls)
        inst = self._fixed.get(key)
        if inst is None:  # one Instance per fixed address (a dataclass with checks: ~1 µs to make)
            if len(self._fixed) >= 1024:
                self._fixed.clear()
            inst = self._fixed[key] = Instance(
                service=name, id=f"{host}:{port}", address=host, port=port, tls=tls
            )
        return await self._call(
            name,
            (inst,) * attempts,
            method,
            path,
            query,
            headers,
            body,
            timeout,
            stream,
            attempts,
            None,
            same_target_ok=True,
        )

    async def forward(
        self,
        service: str,
        method: str,
        target: str,
        headers: bytes,
        body: bytes | None,
        *,
        candidates: tuple[Instance, ...] | None = None,
        timeout: float | None = None,
        try_timeout: float | None = None,
        attempts: int | None = None,
        idempotent: bool | None = None,
        retry_statuses: frozenset[int] | None = None,
    ) -> UpstreamResponse:
        """The proxy's call: ``request(service, method, target, headers=..., body=...,
        stream=True, ...)`` with the header lines already joined (forwarding headers and hop
        count included, framing left to the client); the keyword options are ``request``'s.

        The same choice of instance, timeouts, classification and retries as ``request``, but
        the first attempt runs inline, without building an ``UpstreamRequest`` (one is made
        only when the attempt fails or its answer is retried): on this Python each call and
        object costs ~0.2 µs, and the proxy path is measured per request (bench/gateway)."""
        instances, policy = self._eligible(service, candidates)
        healthy = self.ejector.filter(instances) or instances
        inst = healthy[0] if len(healthy) == 1 else self.balancer.pick(service, healthy, policy)
        self.balancer.inflight.begin(inst.id)
        started = time.perf_counter()
        per_try = min(try_timeout or self.try_timeout, timeout or self.timeout)
        options = (timeout, try_timeout, attempts, idempotent, retry_statuses)
        try:
            raw = await self.http.request(
                inst.address,
                inst.port,
                method,
                target,
                headers,
                body,
                connect_timeout=min(self.connect_timeout, per_try),
                timeout=per_try,
                stream=True,
                tls=inst.tls,
            )
        except HttpError as exc:
            self._done(service, inst.id, started, False)
            req = self._forwarded(
                service, instances, method, target, headers, body, policy, options, inst, started
            )
            failure = self._classify(req, inst, exc)
            if isinstance(failure, _Retryable):
                if req.max_attempts > 1 and req.can_retry():
                    return await self._retry(req, failure)
                failure = failure.error
            if isinstance(failure, UpstreamError):
                self._count_error(service, failure, 1)
            raise failure from None
        except BaseException:
            self._done(service, inst.id, started, False)
            raise
        self.ejector.success(inst.id)
        if retry_statuses and raw.status in retry_statuses:
            req = self._forwarded(
                service, instances, method, target, headers, body, policy, options, inst, started
            )
            retried = self._answer_retried(req, inst, raw, started, 1)
            if retried is not None:
                return await self._retry(req, retried)
        return self._answer(service, inst, raw, started, 1)

    def _eligible(
        self,
        service: str,
        candidates: tuple[Instance, ...] | None,
        instance_filter: InstanceFilter | None = None,
    ) -> tuple[tuple[Instance, ...], str | None]:
        """The instances a call may go to (``candidates`` or the routing table's, filtered, not
        draining) and the service's balancing policy; ``NoHealthyInstance`` when none."""
        instances = self._table().instances(service)
        policy = self.balancer.policy(service, instances) if instances else None
        if candidates is not None:
            instances = candidates
        if instance_filter is not None:
            instances = tuple(i for i in instances if instance_filter(i))
        instances = self.balancer.draining.filter(instances)
        if not instances:
            raise NoHealthyInstance(service, f"no healthy instance of service '{service}'")
        return instances, policy

    def _forwarded(
        self,
        service: str,
        instances: tuple[Instance, ...],
        method: str,
        target: str,
        headers: bytes,
        body: bytes | None,
        policy: str | None,
        options: _CallOptions,
        tried: Instance,
        started: float,
    ) -> UpstreamRequest:
        """The ``UpstreamRequest`` of a ``forward`` call whose first attempt went to ``tried``
        (``started`` by ``time.perf_counter``), for the attempts after it."""
        req = self._upstream_request(
            service,
            instances,
            method,
            target,
            target,
            headers,  # joined lines; Http1Client takes both
            body,
            None,
            None,
            True,
            policy,
            options,
            started=time.monotonic() - (time.perf_counter() - started),
        )
        req.tried.add(tried.id)
        return req

    def _upstream_request(
        self,
        service: str,
        instances: tuple[Instance, ...],
        method: str,
        path: str,
        target: str,
        headers: list[tuple[bytes, bytes]] | bytes,
        body: Any,
        body_length: int | None,
        guard: ReplayGuard | None,
        stream: bool,
        policy: str | None,
        options: _CallOptions,
        *,
        same_target_ok: bool = False,
        started: float | None = None,
    ) -> UpstreamRequest:
        """One call's ``UpstreamRequest``: the caller's options (total and per-try timeout,
        attempts, idempotence, retried statuses) turned into what the attempts read."""
        timeout, try_timeout, attempts, idempotent, retry_statuses = options
        return UpstreamRequest(
            service,
            instances,
            method,
            path,
            target,
            headers,
            body,
            body_length,
            guard,
            timeout,
            stream,
            policy,
            max(1, min(attempts or self.attempts, len(instances))),
            same_target_ok,
            # a fixed address has nowhere else to go: its timeouts are final
            retry_timeouts=not same_target_ok
            and ((method in _RETRY_ON_TIMEOUT) if idempotent is None else idempotent),
            started=time.monotonic() if started is None else started,
            try_timeout=try_timeout,
            retry_statuses=retry_statuses or frozenset(),
        )

    # ---------------------------------------------------------------- internals
    async def _call(
        self,
        service: str,
        instances: tuple[Instance, ...],
        method: str,
        path: str,
        query: Mapping[str, str] | Sequence[tuple[str, str]] | str | None,
        headers: HeaderInput,
        body: Body,
        timeout: float | None,
        stream: bool,
        attempts: int | None,
        policy: str | None,
        *,
        same_target_ok: bool = False,
        idempotent: bool | None = None,
        try_timeout: float | None = None,
        retry_statuses: frozenset[int] | None = None,
    ) -> UpstreamResponse:
        qs = _encode_query(query)
        hdrs, declared_length = _prepare_headers(headers)
        guard = ReplayGuard(body) if body is not None and not isinstance(body, bytes) else None
        req = self._upstream_request(
            service,
            instances,
            method.upper(),
            path,
            f"{path}?{qs}" if qs else path,
            hdrs,
            guard if guard is not None else body,
            declared_length if guard is not None else None,
            guard,
            stream,
            policy,
            (timeout, try_timeout, attempts, idempotent, retry_statuses),
            same_target_ok=same_target_ok,
        )
        # The first attempt has no closure and no retry machinery: a closure here would turn
        # locals into cells on every request, retried or not (py-spy showed it).
        try:
            try:
                return await self._attempt(req, 1)
            except _Retryable as first:
                if req.max_attempts <= 1 or not req.can_retry():
                    raise first.error from None
                failed = first
        except UpstreamError as exc:
            self._count_error(service, exc, 1)
            raise
        return await self._retry(req, failed)

    def _count_error(self, service: str, exc: UpstreamError, attempts: int) -> None:
        exc.attempts = attempts
        if self.metrics:
            self.metrics.upstream_errors.labels(service, type(exc).__name__).inc()

    async def _retry(self, req: UpstreamRequest, first: _Retryable) -> UpstreamResponse:
        """Attempts 2..``req.max_attempts`` after the first one failed with ``first`` (retryable)."""
        service = req.service
        count = 1
        try:
            if self.metrics:
                self.metrics.retries.labels(service).inc()
            log.info("retrying %s %s on another instance of %s: %s", req.method, req.path, service, first)
            retrying = AsyncRetrying(
                stop=stop_after_attempt(req.max_attempts - 1) | stop_after_delay(self.deadline),
                retry=retry_if_exception_type(_Retryable),
                before_sleep=lambda _s: self.metrics.retries.labels(service).inc() if self.metrics else None,
                reraise=True,
            )
            try:
                async for retry in retrying:
                    with retry:
                        if not req.can_retry():
                            raise UpstreamUnavailable(
                                service, f"no other instance of '{service}' left to try", attempts=count
                            )
                        count += 1
                        return await self._attempt(req, count)
            except _Retryable as last:
                raise last.error from None
            raise UpstreamUnavailable(service, f"'{service}' unreachable", attempts=count)  # pragma: no cover
        except UpstreamError as exc:
            self._count_error(service, exc, count)
            raise

    async def _attempt(self, req: UpstreamRequest, number: int) -> UpstreamResponse:
        """Attempt ``number``: an instance not tried yet (unless ``same_target_ok``), then send."""
        inst = self._choose(req)
        req.tried.add(inst.id)
        return await self._send(req, inst, number)

    def _choose(self, req: UpstreamRequest) -> Instance:
        if req.same_target_ok:
            return req.instances[0]
        tried = req.tried
        fresh: Sequence[Instance] = (
            [i for i in req.instances if i.id not in tried] if tried else req.instances
        )
        healthy = self.ejector.filter(fresh)
        # Everything ejected? Use the ejected ones rather than refuse: Consul says they pass.
        candidates = healthy or fresh
        if not candidates:
            raise UpstreamUnavailable(req.service, f"no other instance of '{req.service}' left to try")
        return (
            candidates[0] if len(candidates) == 1 else self.balancer.pick(req.service, candidates, req.policy)
        )

    async def _send(self, req: UpstreamRequest, inst: Instance, attempt_no: int) -> UpstreamResponse:
        self.balancer.inflight.begin(inst.id)
        started = time.perf_counter()
        left = (req.timeout or self.timeout) - (time.monotonic() - req.started)
        if left <= 0:
            self.balancer.inflight.end(inst.id)
            raise UpstreamTimeout(req.service, f"'{req.service}' did not answer within the total timeout")
        total = min(req.try_timeout or self.try_timeout, left)
        # This attempt's traceparent (a new parent id in the request's trace), if traced.
        headers, span = attempt_headers(req.headers, req.service, inst.hostport, attempt_no)
        try:
            raw = await self.http.request(
                inst.address,
                inst.port,
                req.method,
                req.target,
                headers,
                req.body,
                connect_timeout=min(self.connect_timeout, total),
                timeout=total,
                stream=req.stream,
                body_length=req.body_length,
                tls=inst.tls,
            )
        except HttpError as exc:
            self._done(req.service, inst.id, started, False)
            if span is not None:
                end_attempt(span, None, str(exc))
            raise self._classify(req, inst, exc) from exc
        except BaseException:
            self._done(req.service, inst.id, started, False)
            if span is not None:
                end_attempt(span, None, "cancelled")
            raise
        if span is not None:
            end_attempt(span, raw.status)
        self.ejector.success(inst.id)
        if req.retry_statuses and raw.status in req.retry_statuses:
            retried = self._answer_retried(req, inst, raw, started, attempt_no)
            if retried is not None:
                raise retried
        return self._answer(req.service, inst, raw, started, attempt_no)

    def _answer_retried(
        self, req: UpstreamRequest, inst: Instance, raw: RawResponse, started: float, attempt_no: int
    ) -> _Retryable | None:
        """An answer with one of ``req.retry_statuses``: when another attempt may follow, it is
        dropped (connection released, attempt counted as failed) and the ``_Retryable`` to go on
        with is returned; None: the answer is the call's."""
        if not self._status_retry(req, attempt_no):
            return None
        raw.release()
        self._done(req.service, inst.id, started, False)
        where = f"{inst.address}:{inst.port}"
        return _Retryable(
            UpstreamUnavailable(
                req.service, f"'{req.service}' instance {where} answered {raw.status}", instance=where
            )
        )

    def _answer(
        self, service: str, inst: Instance, raw: RawResponse, started: float, attempt_no: int
    ) -> UpstreamResponse:
        if raw.body is not None:  # buffered, or streamed but already complete
            self._done(service, inst.id, started, True)
            return UpstreamResponse(
                status=raw.status, raw_headers=raw.headers, instance=inst, attempts=attempt_no, body=raw.body
            )
        return UpstreamResponse(
            status=raw.status,
            raw_headers=raw.headers,
            instance=inst,
            attempts=attempt_no,
            raw=raw,
            on_close=self._closer(service, inst.id, started),
        )

    @staticmethod
    def _status_retry(req: UpstreamRequest, attempt_no: int) -> bool:
        """Retry this answer elsewhere? Only while another attempt may follow (the last answer
        is returned as is) and the request body can be sent again."""
        return attempt_no < req.max_attempts and req.body_replayable and req.can_retry()

    def _closer(self, service: str, instance_id: str, started: float) -> Callable[[bool], None]:
        """``_done`` once, for when a streamed response is closed. Made here, not in ``_send``,
        so that ``_send``'s locals do not become closure cells on every request."""
        finished = False

        def done(ok: bool) -> None:
            nonlocal finished
            if not finished:
                finished = True
                self._done(service, instance_id, started, ok)

        return done

    def _done(self, service: str, instance_id: str, started: float, ok: bool) -> None:
        """Bookkeeping once per attempt: in-flight count, statistics, latency histogram."""
        self.balancer.inflight.end(instance_id)
        elapsed = time.perf_counter() - started
        if self.stats:
            self.stats.observe("service", service, elapsed, not ok)
        if self.metrics:
            histogram = self._latency.get(service)
            if histogram is None:  # labels() validates and locks; keep the child per service
                histogram = self._latency[service] = self.metrics.upstream_seconds.labels(service)
            histogram.observe(elapsed)

    def _classify(self, req: UpstreamRequest, inst: Instance, exc: HttpError) -> Exception:
        """Map a transport failure to a typed error, wrapped in ``_Retryable`` when safe to retry."""
        service = req.service
        body_replayable = req.body_replayable
        where = f"{inst.address}:{inst.port}"
        self._failed(service, inst, req.instances)
        if isinstance(exc, ConnectError):
            err: UpstreamError = UpstreamUnavailable(
                service, f"cannot connect to '{service}' instance {where}: {exc}", instance=where
            )
            return _Retryable(err) if body_replayable else err
        if isinstance(exc, NoResponse):
            # Closed before any response byte: a killed replica (the request never ran there).
            err = UpstreamUnavailable(
                service, f"'{service}' instance {where} closed the connection: {exc}", instance=where
            )
            unanswered_ok = req.method in _IDEMPOTENT or self.retry_unanswered
            return _Retryable(err) if body_replayable and unanswered_ok else err
        if isinstance(exc, ResponseTimeout):
            err = UpstreamTimeout(
                service, f"'{service}' instance {where} did not answer in time", instance=where
            )
            return _Retryable(err) if body_replayable and req.retry_timeouts else err
        return UpstreamUnavailable(service, f"'{service}' instance {where} failed: {exc}", instance=where)

    def _failed(self, service: str, inst: Instance, siblings: tuple[Instance, ...]) -> None:
        if self.ejector.failure(inst, siblings):
            log.warning("ejected %s instance %s for %.1fs", service, inst.id, self.ejector.seconds)
            if self.metrics:
                self.metrics.ejections.labels(service).inc()


# Written by the client itself (the hop counter: from the request being served, see limits.hops).
_FRAMING = frozenset({b"host", b"content-length", b"transfer-encoding", b"connection", HOP_HEADER})


def _prepare_headers(headers: HeaderInput) -> tuple[list[tuple[bytes, bytes]], int | None]:
    """Headers to send as bytes, minus those the HTTP client writes itself; plus a declared
    Content-Length. Accepts str pairs/mappings (encoded as latin-1, refused if they contain a
    line break) or bytes pairs (taken as parsed by an HTTP server, e.g. an ASGI scope's)."""
    hops = outgoing_hops()
    if not headers:
        return ([(HOP_HEADER, hops)] if hops is not None else []), None
    items: Any = headers.items() if isinstance(headers, Mapping) else headers
    pairs: Any
    if not isinstance(headers, Mapping) and isinstance(headers[0][0], bytes):
        pairs = items  # iterated once below, no copy needed
    else:
        pairs = []
        for name, value in items:
            if "\r" in name or "\n" in name or "\r" in value or "\n" in value:
                raise ValueError(f"header {name!r} contains a line break")
            pairs.append((name.encode("latin-1"), value.encode("latin-1")))
    out: list[tuple[bytes, bytes]] = []
    length: int | None = None
    framing = _FRAMING
    for name, value in pairs:
        low = name.lower()
        if low in framing:
            if low == b"content-length" and value.isdigit():
                length = int(value)
            continue
        out.append((name, value))
    if hops is not None:
        out.append((HOP_HEADER, hops))
    return out, length


def _encode_query(query: Mapping[str, str] | Sequence[tuple[str, str]] | str | None) -> str:
    if not query:
        return ""
    if isinstance(query, str):
        return query.lstrip("?")
    return urlencode(list(query.items()) if isinstance(query, Mapping) else list(query))
