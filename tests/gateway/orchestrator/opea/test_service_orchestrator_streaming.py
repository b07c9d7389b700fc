# Copyright (C) 2024 Intel Corporation
# SPDX-License-Identifier: Apache-2.0
"""OPEA GenAIComps' own test, run against this package with only the import changed.

Source: opea-project/GenAIComps @ 8130a3fb,
tests/cores/mega/test_service_orchestrator_streaming.py. Changed: the ``comps`` imports, and
``setUpClass``/``tearDownClass`` build the same orchestrator without starting the services in
subprocesses on ports 8083/8085 or a Prometheus server on port 8000 (``MicroService.start()``
binds no port here, and tests never use fixed ports). ``test_extract_chunk_str`` and
``test_token_generator`` are verbatim. Left out: ``test_schedule``, which needs those local
servers and OPEA's per-sentence re-streaming through one downstream node, a documented
deviation (docs/flows.md); that a raw token stream reaches the next node whole is
``test_gateway_flows.py::test_raw_token_stream_reaches_the_next_node_whole``.
"""

import json
import time
import unittest

from fastapi.responses import StreamingResponse

from gateway.orchestrator import (
    ServiceOrchestrator,
    ServiceType,
    TextDoc,
    opea_microservices,
    register_microservice,
)


@register_microservice(name="s1", host="0.0.0.0", port=8083, endpoint="/v1/add")
async def s1_add(request: TextDoc) -> TextDoc:
    req = request.model_dump_json()
    req_dict = json.loads(req)
    text = req_dict["text"]
    text += " ~~~"
    return {"text": text}


@register_microservice(name="s0", host="0.0.0.0", port=8085, endpoint="/v1/add", service_type=ServiceType.LLM)
async def s0_add(request: TextDoc) -> TextDoc:
    req = request.model_dump_json()
    req_dict = json.loads(req)
    text = req_dict["text"]

    async def token_generator():
        for i in [" OPEA", " is", " great.", " I", " think ", " so."]:
            yield i

    text += "project!"
    return StreamingResponse(token_generator(), media_type="text/event-stream")


class TestServiceOrchestratorStreaming(unittest.IsolatedAsyncioTestCase):
    @classmethod
    def setUpClass(cls):
        cls.s0 = opea_microservices["s0"]
        cls.s1 = opea_microservices["s1"]

        cls.service_builder = ServiceOrchestrator()

        cls.service_builder.add(cls.s0).add(cls.s1)
        cls.service_builder.flow_to(cls.s0, cls.s1)

    def test_extract_chunk_str(self):
        res = self.service_builder.extract_chunk_str("data: [DONE]\n\n")
        self.assertEqual(res, "")
        res = self.service_builder.extract_chunk_str("data: b'example test.'\n\n")
        self.assertEqual(res, "example test.")

    def test_token_generator(self):
        start = time.monotonic()
        sentence = "I write an example test.</s>"
        for i in self.service_builder.token_generator(
            sentence=sentence, token_start=start, is_first=True, is_last=False
        ):
            self.assertTrue(i.startswith("data: b'"))

        for i in self.service_builder.token_generator(
            sentence=sentence, token_start=start, is_first=False, is_last=True
        ):
            self.assertTrue(i.startswith("data: "))


# --- not from OPEA -------------------------------------------------------------------------


def test_token_generator_output_and_token_latencies() -> None:
    from prometheus_client import CollectorRegistry

    from gateway.orchestrator.metrics import FlowMetrics

    registry = CollectorRegistry()
    orchestrator = ServiceOrchestrator("tokens", observer=FlowMetrics(registry))
    chunks = list(orchestrator.token_generator("Hello big world.", time.monotonic(), True, True))
    assert chunks == ["data: b'Hello '\n\n", "data: b'big '\n\n", "data: b'world.'\n\n", "data: [DONE]\n\n"]
    assert [orchestrator.extract_chunk_str(c) for c in chunks] == ["Hello ", "big ", "world.", ""]
    first = registry.get_sample_value("gateway_flow_first_token_seconds_count", {"flow": "tokens"})
    inter = registry.get_sample_value("gateway_flow_inter_token_seconds_count", {"flow": "tokens"})
    assert (first, inter) == (1.0, 2.0)
