"""Flows served by a real gateway process against real services registered in the dev agent."""

from __future__ import annotations

import re
import threading
import time

import httpx

from .conftest import TOKEN, Stack


def metric(stack: Stack, name: str, labels: str) -> float | None:
    text = httpx.get(f"{stack.gateway_url}/metrics", timeout=5).text
    match = re.search(rf"^{re.escape(name)}\{{{re.escape(labels)}\}} (\S+)$", text, re.MULTILINE)
    return float(match.group(1)) if match else None


def test_seed_echo_megaservice_answers_process(stack: Stack) -> None:
    resp = stack.post("/process", {"message": "Hello World"})
    assert resp.status_code == 200, resp.text
    assert resp.json() == {"message": "Hello World"}


def test_linear_chain_and_trace(stack: Stack) -> None:
    resp = stack.post("/api/flows/chain/run", {"start": True})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["output"]["path"] == ["svc-a", "svc-b", "svc-c"]
    assert body["output"]["start"] is True
    trace = {e["node"]: e for e in body["trace"]}
    for node, service in (("a", "svc-a"), ("b", "svc-b"), ("c", "svc-c")):
        assert trace[node]["status"] == "ok" and trace[node]["http_status"] == 200
        assert trace[node]["instance"] == f"127.0.0.1:{stack.ports[service][0]}"
        assert trace[node]["attempts"][0]["attempt"] == 1
        assert trace[node]["duration_ms"] > 0
    assert trace["a"]["started_ms"] <= trace["b"]["started_ms"] <= trace["c"]["started_ms"]


def test_fan_out_runs_in_parallel_and_fan_in_merges_in_order(stack: Stack) -> None:
    t0 = time.perf_counter()
    resp = stack.post("/api/flows/fanout/run", {"q": 1})
    elapsed = time.perf_counter() - t0
    assert resp.status_code == 200, resp.text
    # two 1.0 s branches: sequential would take >= 2.0 s
    assert elapsed < 1.8, f"branches did not overlap ({elapsed:.2f}s)"
    body = resp.json()
    # merge in predecessor order (left, then right): right's colliding "path" wins, join appends svc-a
    assert body["output"]["path"] == ["svc-a", "svc-c", "svc-a"]
    assert body["output"]["svc-b"] == stack.ports["svc-b"][0]
    assert "path (from right/MicroService)" in body["collisions"]
    starts = {e["node"]: e["started_ms"] for e in body["trace"]}
    assert abs(starts["left"] - starts["right"]) < 200


def test_raw_token_stream_reaches_the_next_node_whole(stack: Stack) -> None:
    """A node streaming raw tokens as text/event-stream (as OPEA's own test service does) used
    to reach the next node as {"text": "", "events": []}."""
    resp = stack.post("/api/flows/rawstream/run", {"text": "hello, "})
    assert resp.status_code == 200, resp.text
    assert resp.json()["output"] == {"text": " OPEA is great. I think  so.", "events": []}


def test_downstream_black_list_prunes(stack: Stack) -> None:
    resp = stack.post("/api/flows/prune/run", {"downstream_black_list": ["^drop"], "x": 1})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert set(body["results"]) == {"first", "keep"}
    assert body["output"]["path"] == ["svc-b"]


def test_conditional_expression_branches(stack: Stack) -> None:
    spam = stack.post("/api/flows/branch/run", {"score": 0.9, "label": "spam"}).json()
    ham = stack.post("/api/flows/branch/run", {"score": 0.1, "label": "spam"}).json()
    assert set(spam["results"]) == {"classify", "spam"}
    assert set(ham["results"]) == {"classify", "ham"}


def test_error_path_receives_the_failure(stack: Stack) -> None:
    resp = stack.post("/errpath", {"q": 5})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["input"] == {"q": 5}
    assert body["error"]["node"] == "boom" and body["error"]["status"] == 500
    assert body["error"]["instance"] == f"127.0.0.1:{stack.ports['svc-a'][0]}"
    assert body["path"] == ["svc-c"]


def test_retry_then_success(stack: Stack) -> None:
    resp = stack.post("/api/flows/flaky/run", {})
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["output"]["calls"] == 3
    assert [a["status"] for a in body["trace"][0]["attempts"]] == [503, 503, 200]


def test_node_timeout_is_504_naming_the_node(stack: Stack) -> None:
    t0 = time.perf_counter()
    resp = stack.post("/timeout", {})
    assert time.perf_counter() - t0 < 2.5
    assert resp.status_code == 504
    err = resp.json()["error"]
    assert (err["flow"], err["node"], err["kind"], err["attempt"]) == ("timeout", "slow", "timeout", 1)
    assert err["instance"] == f"127.0.0.1:{stack.ports['svc-a'][0]}"


def test_failure_names_node_and_cancels_siblings(stack: Stack) -> None:
    t0 = time.perf_counter()
    resp = stack.post("/siblings", {})
    assert time.perf_counter() - t0 < 2.0, "the slow sibling was waited for"
    assert resp.status_code == 502
    body = resp.json()
    err = body["error"]
    assert (err["flow"], err["node"], err["status"], err["service"]) == ("siblings", "boom", 500, "svc-a")
    assert err["instance"] == f"127.0.0.1:{stack.ports['svc-a'][0]}"
    assert "boom" in body["detail"] and "500" in body["detail"]
    statuses = {e["node"]: e["status"] for e in body["trace"]}
    assert statuses["slow"] == "cancelled" and "after" not in statuses


def test_streaming_is_passed_through_not_buffered(stack: Stack) -> None:
    t0 = time.perf_counter()
    arrivals: list[float] = []
    chunks: list[bytes] = []
    with httpx.stream("POST", f"{stack.gateway_url}/stream", json={"prompt": "hi"}, timeout=10) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        for chunk in resp.iter_raw():
            arrivals.append(time.perf_counter() - t0)
            chunks.append(chunk)
    text = b"".join(chunks).decode()
    assert text.count("data: token") == 5 and text.endswith("data: [DONE]\n\n")
    # 5 events 0.3 s apart: the first must arrive long before the last
    assert arrivals[-1] - arrivals[0] > 0.9, arrivals
    assert metric(stack, "gateway_flow_streams_open", 'flow="stream"') == 0.0


def test_rest_api_lists_describes_creates_and_deletes(stack: Stack) -> None:
    names = [f["name"] for f in httpx.get(f"{stack.gateway_url}/api/flows").json()["flows"]]
    assert {"echo", "chain", "fanout", "branch"} <= set(names)
    graph = httpx.get(f"{stack.gateway_url}/api/flows/branch").json()["graph"]
    assert {"from": "classify", "to": "ham", "condition": "not (output.score > 0.5)"} in graph["edges"]
    assert graph["roots"] == ["classify"]
    assert httpx.get(f"{stack.gateway_url}/api/flows/nope").status_code == 404

    definition = {
        "endpoint": "/made-over-rest",
        "nodes": {"e": {"service": "echo-service", "endpoint": "/echo"}},
    }
    assert httpx.put(f"{stack.gateway_url}/api/flows/rest", json=definition).status_code == 401
    assert (
        httpx.put(
            f"{stack.gateway_url}/api/flows/rest", json=definition, headers={"Authorization": "Bearer wrong"}
        ).status_code
        == 401
    )
    bad = stack.put_flow("rest", {**definition, "flow": [{"service": "e", "next": ["ghost"]}]})
    assert bad.status_code == 422 and bad.json()["detail"]["node"] == "ghost"
    taken = stack.put_flow("rest", {**definition, "endpoint": "/process"})
    assert taken.status_code == 409
    created = stack.put_flow("rest", definition)
    assert created.status_code == 201, created.text
    assert stack.post("/made-over-rest", {"hello": "rest"}).json() == {"hello": "rest"}
    wrong_method = httpx.get(f"{stack.gateway_url}/made-over-rest")
    assert wrong_method.status_code == 405 and wrong_method.headers["allow"] == "POST"
    assert stack.put_flow("rest", definition).status_code == 200  # replaced
    assert httpx.delete(f"{stack.gateway_url}/api/flows/rest").status_code == 401
    deleted = httpx.delete(
        f"{stack.gateway_url}/api/flows/rest", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert deleted.status_code == 204
    assert stack.post("/made-over-rest", {"hello": "rest"}).status_code == 404
    assert stack.post("/api/flows/rest/run", {}).status_code == 404


def test_unknown_service_is_a_503_naming_the_node(stack: Stack) -> None:
    created = stack.put_flow(
        "ghostly", {"nodes": {"haunt": {"service": "no-such-service", "endpoint": "/x"}}}
    )
    assert created.status_code == 201, created.text
    resp = stack.post("/api/flows/ghostly/run", {})
    assert resp.status_code == 503
    err = resp.json()["error"]
    assert (err["node"], err["service"], err["kind"]) == ("haunt", "no-such-service", "no_instance")


def test_bad_input_is_a_400(stack: Stack) -> None:
    resp = httpx.post(f"{stack.gateway_url}/process", content=b"{not json", timeout=5)
    assert resp.status_code == 400 and "JSON" in resp.json()["detail"]


def test_statistics_and_in_flight_gauge_return_to_zero(stack: Stack) -> None:
    for _ in range(3):
        assert stack.post("/chain", {}).status_code == 200
    assert stack.post("/timeout", {}).status_code == 504
    assert stack.post("/siblings", {}).status_code == 502

    seen: list[float | None] = []
    runner = threading.Thread(target=lambda: stack.post("/fanout", {}))
    runner.start()
    time.sleep(0.5)
    seen.append(metric(stack, "gateway_flow_in_flight", 'flow="fanout"'))
    runner.join()
    assert seen == [1.0]

    for flow in ("chain", "timeout", "siblings", "fanout"):
        assert metric(stack, "gateway_flow_in_flight", f'flow="{flow}"') == 0.0, flow
    assert metric(stack, "gateway_flow_requests_total", 'flow="timeout",outcome="error"') is not None
    stats = httpx.get(f"{stack.gateway_url}/v1/statistics").json()
    chain = stats["flow"]["chain"]
    assert chain["count"] >= 3 and chain["p50_ms"] > 0 and chain["p99_ms"] >= chain["p50_ms"]
    assert stats["flow"]["timeout"]["errors"] >= 1
    assert stats["flow_node"]["chain/b"]["count"] >= 3
    assert stats["flow_node"]["siblings/boom"]["errors"] >= 1


async def test_seed_examples_through_python_api_against_real_services(stack: Stack) -> None:
    """Seed 000 §1 and §3.2, verbatim but for the import line, with real hosts and ports."""
    import os

    from gateway.orchestrator import (
        MicroService,
        ServiceOrchestrator,
        ServiceType,
        StandaloneCaller,
        set_default_caller,
    )

    os.environ["DUMMY_SERVICE_PORT"] = str(stack.ports["echo-service"][0])
    DUMMY_SERVICE_HOST_IP = os.getenv("DUMMY_SERVICE_HOST_IP", "127.0.0.1")  # noqa: N806
    DUMMY_SERVICE_PORT = int(os.getenv("DUMMY_SERVICE_PORT", 5000))  # noqa: N806

    class MyFirstMegaService:
        def __init__(self, host: str = "0.0.0.0", port: int = 8000) -> None:
            self.host = host
            self.port = port
            self.megaservice = ServiceOrchestrator()
            self.service = None

        def add_microservice(self) -> None:
            echo_service = MicroService(
                name="echo_service",
                host=DUMMY_SERVICE_HOST_IP,
                port=DUMMY_SERVICE_PORT,
                endpoint="/echo",
                use_remote_service=True,
                service_type=ServiceType.LLM,
                input_datatype=dict,
                output_datatype=dict,
            )
            self.megaservice.add(echo_service)

        async def handle_request(self, request: dict) -> dict | None:
            result_dict, runtime_graph = await self.megaservice.schedule(initial_inputs=request)
            service_key = "echo_service/MicroService"
            if service_key in result_dict:
                response = result_dict[service_key]
                return response
            return None

    mega = MyFirstMegaService()
    mega.add_microservice()
    assert await mega.handle_request({"message": "Hello World"}) == {"message": "Hello World"}

    # §3.2: two services with set_flow(next)
    megaservice = ServiceOrchestrator()
    service_a = MicroService(
        name="data_processor",
        host="127.0.0.1",
        port=stack.ports["svc-a"][0],
        endpoint="/tag",
        service_type=ServiceType.LLM,
        input_datatype=dict,
        output_datatype=dict,
    )
    service_b = MicroService(
        name="data_analyzer",
        host="127.0.0.1",
        port=stack.ports["svc-b"][0],
        endpoint="/tag",
        service_type=ServiceType.LLM,
        input_datatype=dict,
        output_datatype=dict,
    )
    megaservice.add(service_a)
    megaservice.add(service_b)
    megaservice.set_flow([{"service": "data_processor", "next": ["data_analyzer"]}])
    result_dict, runtime_graph = await megaservice.schedule(initial_inputs={"processed_data": "x"})
    assert result_dict.get("data_processor/MicroService")["path"] == ["svc-a"]
    assert result_dict.get("data_analyzer/MicroService")["path"] == ["svc-a", "svc-b"]
    assert runtime_graph.all_leaves() == ["data_analyzer/MicroService"]

    # a node without host/port is resolved by name through Consul (standalone caller: the
    # gateway's core, discovery watchers and balancer, without its server)
    caller = StandaloneCaller(consul_url=stack.consul_url)
    set_default_caller(caller)
    try:
        by_name = ServiceOrchestrator().add(MicroService("svc-c", endpoint="/tag"))
        result_dict, _ = await by_name.schedule({"n": 1})
        assert result_dict["svc-c/MicroService"]["svc-c"] == stack.ports["svc-c"][0]
    finally:
        set_default_caller(None)
        await caller.aclose()


async def test_node_by_name_fails_over_to_another_instance(stack: Stack) -> None:
    """Runs last in this module: it kills one svc-ha instance."""
    import signal

    from gateway.orchestrator import MicroService, ServiceOrchestrator, StandaloneCaller
    from tests.support.processes import free_port, wait_until

    from .conftest import routed_counts

    before = {stack.post("/api/flows/ha/run", {}).json()["output"]["svc-ha"] for _ in range(12)}
    assert before == set(stack.ports["svc-ha"])  # both instances serve

    # 1. discovery lists an instance that does not answer (registered without a check, so it
    #    stays passing): every call that picks it first must go on to a live instance
    closed = free_port()
    ghost = {"Name": "svc-ha", "ID": "svc-ha-ghost", "Address": "127.0.0.1", "Port": closed}
    httpx.put(f"{stack.consul_url}/v1/agent/service/register", json=ghost, timeout=5).raise_for_status()
    try:
        wait_until(lambda: routed_counts(stack).get("svc-ha") == 3, 10, what="ghost instance routed")
        failed_over = 0
        for _ in range(20):
            resp = stack.post("/api/flows/ha/run", {})
            assert resp.status_code == 200, resp.text
            attempt = resp.json()["trace"][0]["attempts"][0]
            assert attempt["instance"] in {f"127.0.0.1:{p}" for p in stack.ports["svc-ha"]}
            failed_over += attempt["instance_attempts"] > 1
        assert failed_over >= 1
    finally:
        httpx.put(f"{stack.consul_url}/v1/agent/service/deregister/svc-ha-ghost", timeout=5)

    # 2. a real instance is killed: requests keep succeeding on the other one
    dead, alive = stack.processes["svc-ha"][0], stack.ports["svc-ha"][1]
    dead.signal(signal.SIGKILL)
    assert dead.proc is not None
    dead.proc.wait(timeout=5)
    for _ in range(10):
        resp = stack.post("/api/flows/ha/run", {})
        assert resp.status_code == 200, resp.text
        assert resp.json()["output"]["svc-ha"] == alive

    # 3. the standalone caller (the same core: discovery, balancer, retry) fails over the same
    #    way when Consul lists an instance that does not answer
    httpx.put(f"{stack.consul_url}/v1/agent/service/register", json=ghost, timeout=5).raise_for_status()
    caller = StandaloneCaller(consul_url=stack.consul_url)
    try:
        o = ServiceOrchestrator(caller=caller).add(MicroService("svc-ha", endpoint="/tag"))
        await caller.start()
        assert caller.core is not None
        core = caller.core
        ghost_id = "svc-ha-ghost"
        assert await core.discovery.wait_for(
            lambda t: ghost_id in {i.id for i in t.instances("svc-ha")}, timeout=10
        )
        failed_over = 0
        for _ in range(20):
            result, graph = await o.schedule({})
            assert result["svc-ha/MicroService"]["svc-ha"] == alive
            failed_over += graph.trace[0]["attempts"][0]["instance_attempts"] > 1
        assert failed_over >= 1
    finally:
        await caller.aclose()
        httpx.put(f"{stack.consul_url}/v1/agent/service/deregister/svc-ha-ghost", timeout=5)
