"""Engine unit tests with a fake caller: scheduling, fan-in, conditions, retries, failures."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from gateway.orchestrator import (
    FlowError,
    LLMParams,
    MicroService,
    ServiceOrchestrator,
    ServiceType,
)

from .fakes import FakeCaller, const, echo, failing, ok, sse


def ms(name: str, **kw: Any) -> MicroService:
    return MicroService(name, endpoint=f"/{name}", use_remote_service=True, **kw)


def orch(caller: FakeCaller, **kw: Any) -> ServiceOrchestrator:
    return ServiceOrchestrator("t", caller=caller, **kw)


async def test_single_node_result_key_like_opea() -> None:
    caller = FakeCaller({"echo_service": echo()})
    o = orch(caller).add(ms("echo_service", service_type=ServiceType.LLM))
    result, graph = await o.schedule(initial_inputs={"message": "Hello World"})
    assert result == {"echo_service/MicroService": {"message": "Hello World"}}
    assert graph.all_leaves() == ["echo_service/MicroService"]


async def test_linear_chain_passes_outputs() -> None:
    caller = FakeCaller({"a": echo({"a": 1}), "b": echo({"b": 2}), "c": echo({"c": 3})})
    a, b, c = ms("a"), ms("b"), ms("c")
    o = orch(caller).add(a).add(b).add(c)
    assert o.flow_to(a, b) and o.flow_to(b, c)
    result, graph = await o.schedule({"x": 0})
    assert result["c/MicroService"] == {"x": 0, "a": 1, "b": 2, "c": 3}
    assert list(result) == ["a/MicroService", "b/MicroService", "c/MicroService"]
    assert o.get_all_final_outputs(result, graph) == {"c/MicroService": {"x": 0, "a": 1, "b": 2, "c": 3}}


async def test_roots_get_their_own_copy_of_the_inputs() -> None:
    def align_inputs(inputs: Any, cur_node: str, runtime_graph: Any, params: Any, **kw: Any) -> Any:
        inputs["touched_by"] = cur_node
        return inputs

    caller = FakeCaller({"r1": echo(), "r2": echo()})
    initial = {"q": 1}
    o = orch(caller, align_inputs=align_inputs).add(ms("r1")).add(ms("r2"))
    result, _ = await o.schedule(initial)
    assert result["r1/MicroService"]["touched_by"] == "r1/MicroService"
    assert result["r2/MicroService"]["touched_by"] == "r2/MicroService"
    assert initial == {"q": 1}


async def test_fan_out_runs_in_parallel_and_fan_in_merges_in_predecessor_order() -> None:
    caller = FakeCaller(
        {
            "root": echo(),
            "left": const({"k": "left", "l": 1}, delay=0.5),
            "right": const({"k": "right", "r": 1}, delay=0.3),
            "join": echo(),
        }
    )
    root, left, right, join = ms("root"), ms("left"), ms("right"), ms("join")
    o = orch(caller).add(root).add(left).add(right).add(join)
    for src, dst in ((root, left), (root, right), (left, join), (right, join)):
        assert o.flow_to(src, dst)
    t0 = time.perf_counter()
    result, graph = await o.schedule({"q": 1})
    elapsed = time.perf_counter() - t0
    assert elapsed < 0.75, f"branches did not overlap: {elapsed:.2f}s"  # sequential: >= 0.8 s
    # right finished first, but "left" was added first: later predecessor (right) wins the collision
    assert result["join/MicroService"] == {"k": "right", "l": 1, "r": 1}
    assert graph.collisions == ["k (from right/MicroService)"]


@pytest.mark.parametrize(
    ("reducer", "expected"),
    [
        ("namespaced", {"left": {"k": "L"}, "right": {"k": "R"}}),
        ("list", [{"k": "L"}, {"k": "R"}]),
        (
            lambda items: {"keys": [name for name, _ in items]},
            {"keys": ["left/MicroService", "right/MicroService"]},
        ),
    ],
)
async def test_fan_in_reducers(reducer: Any, expected: Any) -> None:
    caller = FakeCaller({"left": const({"k": "L"}), "right": const({"k": "R"}), "join": echo()})
    left, right, join = ms("left"), ms("right"), ms("join")
    o = orch(caller, reducer=reducer).add(left).add(right).add(join)
    o.flow_to(left, join)
    o.flow_to(right, join)
    result, _ = await o.schedule({})
    assert caller.calls[-1] == ("join", expected)
    assert result["join/MicroService"] == expected


async def test_merge_of_non_objects_is_a_flow_error() -> None:
    caller = FakeCaller({"left": const([1]), "right": const([2]), "join": echo()})
    left, right, join = ms("left"), ms("right"), ms("join")
    o = orch(caller).add(left).add(right).add(join)
    o.flow_to(left, join)
    o.flow_to(right, join)
    with pytest.raises(FlowError) as info:
        await o.schedule({})
    assert info.value.node == "join" and info.value.kind == "merge"


async def test_downstream_black_list_prunes_by_regex_search() -> None:
    caller = FakeCaller(
        {
            "a": const({"text": "hi", "downstream_black_list": ["^b/"]}),
            "b": echo(),
            "c": echo(),
            "d": echo(),
        }
    )
    a, b, c, d = ms("a"), ms("b"), ms("c"), ms("d")
    o = orch(caller).add(a).add(b).add(c).add(d)
    o.flow_to(a, b)
    o.flow_to(a, c)
    o.flow_to(b, d)
    result, graph = await o.schedule({})
    assert set(result) == {"a/MicroService", "c/MicroService"}
    assert caller.count("b") == 0 and caller.count("d") == 0
    assert graph.all_leaves() == ["c/MicroService"]
    assert {e["node"]: e["status"] for e in graph.trace}["d"] == "skipped"


async def test_conditional_success_and_error_paths() -> None:
    flow = [
        {
            "service": "proc",
            "next": [
                {"service": "analyzer", "condition": "success"},
                {"service": "handler", "condition": "error"},
            ],
        }
    ]
    good = FakeCaller({"proc": const({"v": 1}), "analyzer": echo({"analyzed": True}), "handler": echo()})
    o = orch(good).add(ms("proc")).add(ms("analyzer")).add(ms("handler")).set_flow(flow)
    result, _ = await o.schedule({})
    assert set(result) == {"proc/MicroService", "analyzer/MicroService"}

    bad = FakeCaller(
        {"proc": failing(99, status=500), "analyzer": echo(), "handler": echo({"handled": True})}
    )
    o = orch(bad).add(ms("proc")).add(ms("analyzer")).add(ms("handler")).set_flow(flow)
    result, graph = await o.schedule({"q": 7})
    assert set(result) == {"handler/MicroService"}
    handled = result["handler/MicroService"]
    assert handled["handled"] is True and handled["input"] == {"q": 7}
    assert handled["error"]["node"] == "proc" and handled["error"]["status"] == 500
    assert bad.count("analyzer") == 0
    assert [e["status"] for e in graph.trace if e["node"] == "proc"] == ["failed"]


async def test_expression_conditions_choose_the_branch() -> None:
    flow = [
        {
            "service": "classify",
            "next": [
                {"service": "spam", "condition": 'output.score > 0.5 and output.label == "spam"'},
                {"service": "ham", "condition": "not (output.score > 0.5)"},
            ],
        }
    ]
    for score, branch in ((0.9, "spam"), (0.1, "ham")):
        caller = FakeCaller(
            {"classify": const({"score": score, "label": "spam"}), "spam": echo(), "ham": echo()}
        )
        o = orch(caller).add(ms("classify")).add(ms("spam")).add(ms("ham")).set_flow(flow)
        result, graph = await o.schedule({})
        assert set(result) == {"classify/MicroService", f"{branch}/MicroService"}
        assert graph.all_leaves() == [f"{branch}/MicroService"]


async def test_node_retries_then_success() -> None:
    caller = FakeCaller({"flaky": failing(2, then=const({"ok": True}))})
    o = orch(caller).add(ms("flaky", retries=2))
    result, graph = await o.schedule({})
    assert result["flaky/MicroService"] == {"ok": True}
    attempts = graph.trace[0]["attempts"]
    assert [a["status"] for a in attempts] == [503, 503, 200]
    assert caller.count("flaky") == 3


async def test_client_errors_are_not_retried() -> None:
    caller = FakeCaller({"bad": failing(99, status=422)})
    o = orch(caller).add(ms("bad", retries=3))
    with pytest.raises(FlowError) as info:
        await o.schedule({})
    assert caller.count("bad") == 1
    err = info.value
    assert (err.node, err.status, err.attempt, err.instance, err.http_status) == (
        "bad",
        422,
        1,
        "fake:1",
        502,
    )


async def test_retry_edge_reruns_the_node_a_bounded_number_of_times() -> None:
    caller = FakeCaller({"proc": failing(2, then=const({"done": 1})), "after": echo()})
    flow = [{"service": "proc", "next": [{"service": "proc", "condition": "retry", "attempts": 3}, "after"]}]
    o = orch(caller).add(ms("proc")).add(ms("after")).set_flow(flow)
    result, _ = await o.schedule({})
    assert result["after/MicroService"] == {"done": 1}
    assert caller.count("proc") == 3

    never = FakeCaller({"proc": failing(99), "after": echo()})
    o = orch(never).add(ms("proc")).add(ms("after")).set_flow(flow)
    with pytest.raises(FlowError) as info:
        await o.schedule({})
    assert never.count("proc") == 4 and info.value.attempt == 4


async def test_seed_complex_flow_with_retry_processor_stand_in() -> None:
    """Seed 000 §3.6: unknown names become discovery nodes; retry_processor stands in for the processor."""
    caller = FakeCaller(
        {
            "data_collector": echo({"collected": True}),
            "data_processor": failing(99),
            "retry_processor": echo({"processed_by": "retry"}),
            "data_analyzer": echo({"analysis": "done"}),
            "error_handler": echo(),
        }
    )
    o = orch(caller)
    o.add(
        MicroService(
            name="data_collector",
            host="collector_host",
            port=9000,
            endpoint="/collect",
            service_type=ServiceType.LLM,
        )
    )
    o.add(
        MicroService(
            name="data_processor",
            host="processor_host",
            port=9001,
            endpoint="/process",
            service_type=ServiceType.LLM,
        )
    )
    o.add(
        MicroService(
            name="data_analyzer",
            host="analyzer_host",
            port=9002,
            endpoint="/analyze",
            service_type=ServiceType.LLM,
        )
    )
    o.set_flow(
        [
            {
                "service": "data_collector",
                "next": [
                    {"service": "data_processor", "condition": "success"},
                    {"service": "error_handler", "condition": "error"},
                ],
            },
            {
                "service": "data_processor",
                "next": [
                    {"service": "data_analyzer", "condition": "success"},
                    {"service": "retry_processor", "condition": "retry"},
                ],
            },
        ]
    )
    result, graph = await o.schedule(initial_inputs={"payload": 1})
    assert result["data_analyzer/MicroService"] == {
        "payload": 1,
        "collected": True,
        "processed_by": "retry",
        "analysis": "done",
    }
    assert result["retry_processor/MicroService"] == result["data_processor/MicroService"]
    assert caller.count("error_handler") == 0
    assert graph.all_leaves() == ["data_analyzer/MicroService"]


async def test_node_timeout_is_a_504_flow_error() -> None:
    caller = FakeCaller({"slow": const({}, delay=5)})
    o = orch(caller).add(ms("slow", timeout=0.2))
    t0 = time.perf_counter()
    with pytest.raises(FlowError) as info:
        await o.schedule({})
    assert time.perf_counter() - t0 < 2
    assert info.value.kind == "timeout" and info.value.http_status == 504 and info.value.node == "slow"


async def test_failure_cancels_siblings_and_names_the_node() -> None:
    caller = FakeCaller({"boom": failing(99, status=500), "slow": const({}, delay=3), "after": echo()})
    boom, slow, after = ms("boom"), ms("slow"), ms("after")
    o = orch(caller).add(boom).add(slow).add(after)
    o.flow_to(slow, after)
    t0 = time.perf_counter()
    with pytest.raises(FlowError) as info:
        await o.schedule({})
    assert time.perf_counter() - t0 < 1.5
    assert caller.cancelled == ["slow"]
    err = info.value
    assert err.node == "boom" and err.status == 500 and err.flow == "t"
    statuses = {e["node"]: e["status"] for e in err.trace}
    assert statuses == {"boom": "failed", "slow": "cancelled"}


async def test_continue_on_error_keeps_siblings_running() -> None:
    caller = FakeCaller(
        {"boom": failing(99, status=500), "slow": const({"s": 1}, delay=0.2), "after": echo()}
    )
    boom, slow, after = ms("boom", continue_on_error=True), ms("slow"), ms("after")
    o = orch(caller).add(boom).add(slow).add(after)
    o.flow_to(boom, after)
    o.flow_to(slow, after)
    result, graph = await o.schedule({})
    assert result["after/MicroService"] == {"s": 1}
    assert "boom/MicroService" not in result


async def test_hooks_per_instance_subclass_and_class_patch() -> None:
    caller = FakeCaller({"a": echo()})

    def mark(data: Any, cur_node: str, inputs: Any, runtime_graph: Any, params: Any, **kw: Any) -> Any:
        return {**data, "via": "instance", "kw": kw.get("retriever_parameters")}

    o = orch(caller, align_outputs=mark).add(ms("a"))
    result, _ = await o.schedule({}, retriever_parameters="R")
    assert result["a/MicroService"] == {"via": "instance", "kw": "R"}

    class Sub(ServiceOrchestrator):
        def align_outputs(self, data: Any, *args: Any, **kw: Any) -> Any:
            return {**data, "via": "subclass"}

    s = Sub("s", caller=caller).add(ms("a"))
    assert (await s.schedule({}))[0]["a/MicroService"] == {"via": "subclass"}

    original = ServiceOrchestrator.align_inputs

    def patched(self: ServiceOrchestrator, inputs: Any, *args: Any, **kw: Any) -> Any:
        return {**inputs, "via": "class-patch"}

    ServiceOrchestrator.align_inputs = patched  # type: ignore[method-assign]
    try:
        p = orch(caller).add(ms("a"))
        assert (await p.schedule({}))[0]["a/MicroService"] == {"via": "class-patch"}
    finally:
        ServiceOrchestrator.align_inputs = original  # type: ignore[method-assign]


async def test_llm_parameters_injected_only_when_given() -> None:
    caller = FakeCaller({"llm": echo(), "other": echo()})
    o = (
        orch(caller)
        .add(ms("llm", service_type=ServiceType.LLM))
        .add(ms("other", service_type=ServiceType.RERANK))
    )
    result, _ = await o.schedule({"text": "q"})
    assert result["llm/MicroService"] == {"text": "q"}
    result, _ = await o.schedule({"text": "q", "max_tokens": 5}, llm_parameters=LLMParams(max_tokens=17))
    assert result["llm/MicroService"]["max_tokens"] == 17 and result["llm/MicroService"]["text"] == "q"
    assert result["other/MicroService"] == {"text": "q", "max_tokens": 5}


async def test_streaming_leaf_is_relayed_and_streaming_middle_is_collected() -> None:
    caller = FakeCaller({"llm": sse(["Hel", "lo", "[DONE]"]), "post": echo()})
    o = orch(caller).add(ms("llm"))
    result, _ = await o.schedule({})
    response = result["llm/MicroService"]
    chunks = [c async for c in response.body_iterator]
    assert b"".join(c if isinstance(c, bytes) else c.encode() for c in chunks) == (
        b"data: Hel\n\ndata: lo\n\ndata: [DONE]\n\n"
    )

    llm, post = ms("llm"), ms("post")
    o = orch(caller).add(llm).add(post)
    o.flow_to(llm, post)
    result, _ = await o.schedule({})
    assert result["post/MicroService"] == {"text": "Hello", "events": ["Hel", "lo", "[DONE]"]}


async def test_flow_to_returns_false_on_cycle_or_unknown_node() -> None:
    a, b, stranger = ms("a"), ms("b"), ms("z")
    o = orch(FakeCaller()).add(a).add(b)
    assert o.flow_to(a, b) is True
    assert o.flow_to(b, a) is False
    assert o.flow_to(a, stranger) is False
    with pytest.raises(Exception, match="already exists"):
        o.add(ms("a"))


async def test_set_flow_rejects_bad_conditions_and_cycles() -> None:
    from gateway.orchestrator import FlowDefinitionError

    o = orch(FakeCaller()).add(ms("a")).add(ms("b"))
    with pytest.raises(FlowDefinitionError, match="bad condition on edge to 'b'"):
        o.set_flow([{"service": "a", "next": [{"service": "b", "condition": "output.x >"}]}])
    with pytest.raises(FlowDefinitionError, match="cycle"):
        o.set_flow([{"service": "a", "next": ["b"]}, {"service": "b", "next": ["a"]}])
    with pytest.raises(FlowDefinitionError, match="unknown service 'c'"):
        o.set_flow([{"service": "a", "next": ["c"]}], auto_add=False)
    assert o.graph == {"a/MicroService": set(), "b/MicroService": set()}  # rolled back


async def test_concurrent_schedules_do_not_share_state() -> None:
    caller = FakeCaller({"a": echo(delay=0.05), "b": echo()})
    a, b = ms("a"), ms("b")
    o = orch(caller).add(a).add(b)
    o.flow_to(a, b)
    runs = await asyncio.gather(*(o.schedule({"i": i}) for i in range(10)))
    assert [r[0]["b/MicroService"]["i"] for r in runs] == list(range(10))
    assert ok({}).status == 200


async def test_schedule_flow_override_is_request_specific() -> None:
    caller = FakeCaller({"a": echo({"a": 1}), "b": echo({"b": 1}), "c": echo({"c": 1})})
    o = orch(caller).add(ms("a")).add(ms("b")).add(ms("c"))
    o.set_flow([{"service": "a", "next": ["b"]}, {"service": "b", "next": ["c"]}])
    result, graph = await o.schedule(
        {}, flow=[{"service": "a", "next": ["c"]}, {"service": "b", "timeout": 1}]
    )
    assert result["c/MicroService"] == {"a": 1, "c": 1}
    assert "b/MicroService" in result  # b is a root in the override
    assert o.services["b/MicroService"].timeout is None  # override options did not leak
    result, _ = await o.schedule({})
    assert result["c/MicroService"] == {"a": 1, "b": 1, "c": 1}
