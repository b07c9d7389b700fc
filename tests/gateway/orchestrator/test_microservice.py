"""MicroService: OPEA's constructor and naming, remote-only behaviour, and the megaservice pattern."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway.orchestrator import (
    MicroService,
    ServiceOrchestrator,
    ServiceRoleType,
    ServiceType,
    opea_microservices,
    register_microservice,
)
from tests.support.processes import free_port

from .fakes import FakeCaller, echo, sse


def test_name_and_enum_values_follow_opea() -> None:
    assert MicroService("s1").name == "s1/MicroService"
    assert MicroService("", host="h").name == "MicroService"
    assert (ServiceType.LLM, ServiceType.UNDEFINED, ServiceType.TEXT2SQL, ServiceType.TEXT2QUERY) == (
        4,
        10,
        19,
        27,
    )
    assert ServiceType.ARB_POST_HEARING_ASSISTANT == 28 and len(ServiceType) == 29
    assert (ServiceRoleType.MICROSERVICE, ServiceRoleType.MEGASERVICE) == (0, 1)
    assert MicroService("x", host="h", port=9, endpoint="/v1/a").endpoint_path() == "http://h:9/v1/a"
    assert MicroService("x", host="https://api.example", api_key="k", endpoint="/v1").endpoint_path() == (
        "https://api.example/v1"
    )
    assert MicroService("x").endpoint_path() == "http://x/"  # by service name


def test_local_server_parameters_are_accepted_and_no_port_is_bound() -> None:
    port = free_port()
    with socket.socket() as busy:  # OPEA would refuse with RuntimeError(f"port:{port}")
        busy.bind(("127.0.0.1", port))
        busy.listen()
        svc = MicroService(
            "llm",
            host="127.0.0.1",
            port=port,
            ssl_keyfile="k",
            ssl_certfile="c",
            dynamic_batching=True,
            dynamic_batching_timeout=2,
            dynamic_batching_max_batch_size=8,
            enable_mcp=True,
            provider="p",
            provider_endpoint="e",
            description="d",
            use_remote_service=False,
        )
        svc.start()
        svc.stop()
    with pytest.raises(TypeError, match="unexpected keyword"):
        MicroService("x", nonsense=1)
    with pytest.raises(ValueError, match="port"):
        MicroService("x", host="h", port=70000)


def test_megaservice_pattern_routes_mount_on_a_fastapi_app() -> None:
    """Seeds 001/002: a MEGASERVICE MicroService with add_route(); start() does not bind here."""

    class ExampleService:
        def __init__(self, host: str = "0.0.0.0", port: int = 8000) -> None:
            self.host, self.port = host, port
            self.endpoint = "/v1/example-service"

        async def handle_request(self, request: dict[str, Any]) -> dict[str, Any]:
            return {"handled": request}

        def start(self) -> None:
            self.service = MicroService(
                self.__class__.__name__,
                service_role=ServiceRoleType.MEGASERVICE,
                host=self.host,
                port=self.port,
                endpoint=self.endpoint,
                input_datatype=dict,
                output_datatype=dict,
            )
            self.service.add_route(self.endpoint, self.handle_request, methods=["POST"])
            self.service.start()

    example = ExampleService()
    example.start()
    app = FastAPI()
    app.include_router(example.service.router())
    with TestClient(app) as client:
        assert client.post("/v1/example-service", json={"q": 1}).json() == {"handled": {"q": 1}}


def test_register_microservice_reuses_the_service_per_name() -> None:
    @register_microservice(name="unit-reg", endpoint="/a", host="127.0.0.1", port=1)
    async def a() -> None: ...

    @register_microservice(name="unit-reg", endpoint="/b")
    async def b() -> None: ...

    svc = opea_microservices.pop("unit-reg")
    assert [r[0] for r in svc.routes] == ["/a", "/b"] and svc.service_type == ServiceType.UNDEFINED


async def test_align_generator_per_instance_transforms_the_stream() -> None:
    async def upper(gen: Any, **kw: Any) -> Any:
        async for chunk in gen:
            yield chunk.upper()

    o = ServiceOrchestrator("g", caller=FakeCaller({"llm": sse(["a", "b"])}), align_generator=upper)
    o.add(MicroService("llm"))
    result, _ = await o.schedule({})
    body = b"".join([c async for c in result["llm/MicroService"].body_iterator])  # type: ignore[misc]
    assert body == b"DATA: A\n\nDATA: B\n\n"


async def test_pydantic_inputs_are_converted_like_opea() -> None:
    from gateway.orchestrator import TextDoc

    caller = FakeCaller({"e": echo()})
    o = ServiceOrchestrator(caller=caller).add(MicroService("e"))
    result, _ = await o.schedule(TextDoc(text="hi"))
    assert result["e/MicroService"] == {"text": "hi", "downstream_black_list": []}
