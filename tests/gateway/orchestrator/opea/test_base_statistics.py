# Copyright (C) 2024 Intel Corporation
# SPDX-License-Identifier: Apache-2.0
"""OPEA GenAIComps' own test, run against this package with only the import changed.

Source: opea-project/GenAIComps @ 8130a3fb, tests/cores/mega/test_base_statistics.py.
Changed: the ``comps`` imports. Left out: ``TestBaseStatistics``, which starts the
microservice's own server in a subprocess on port 8083 (``MicroService.start()`` binds no port
here, a documented deviation, docs/flows.md); ``test_statistics_route_of_a_mounted_service``
below checks the same ``/v1/statistics`` answer on a mounted ``service.router()``.
"""

import json
import time
import unittest

from fastapi import FastAPI
from fastapi.testclient import TestClient

from gateway.orchestrator import (
    TextDoc,
    opea_microservices,
    register_microservice,
    register_statistics,
    statistics_dict,
)
from gateway.orchestrator.statistics import collect_all_statistics

SVC1 = "opea_service@s1_add"
SVC2 = "open_service@test"


@register_statistics(names=[SVC1])
@register_statistics(names=[SVC2])
@register_microservice(name="s1", host="0.0.0.0", port=8083, endpoint="/v1/add")
async def s1_add(request: TextDoc) -> TextDoc:
    start = time.monotonic()
    time.sleep(5)
    req = request.model_dump_json()
    req_dict = json.loads(req)
    text = req_dict["text"]
    text += "opea"
    statistics_dict[SVC1].append_latency(time.monotonic() - start, None)
    return {"text": text}


class TestBaseStatisticsLocal(unittest.TestCase):
    def test_stats(self):
        stats = statistics_dict[SVC2]

        stats.append_latency(3)
        res = collect_all_statistics()
        avg = res[SVC2]["average_latency"]
        self.assertIsNotNone(avg)
        p99 = res[SVC2]["p99_latency"]
        self.assertEqual(int(p99), int(avg))
        p50 = res[SVC2]["p50_latency"]
        self.assertEqual(int(p99), int(p50))
        self.assertIsNone(res[SVC2]["p50_latency_first_token"])

        stats.append_latency(2, 1)
        res = collect_all_statistics()
        avg = res[SVC2]["average_latency_first_token"]
        self.assertIsNotNone(avg)
        p99 = res[SVC2]["p99_latency_first_token"]
        self.assertEqual(int(p99), int(avg))
        p50 = res[SVC2]["p50_latency_first_token"]
        self.assertEqual(int(p99), int(p50))

        stats.append_latency(1)
        res = collect_all_statistics()
        p50 = res[SVC2]["p50_latency"]
        avg = res[SVC2]["average_latency"]
        self.assertEqual(int(avg), int(p50))
        self.assertEqual(int(p50), 2)


# --- not from OPEA -------------------------------------------------------------------------


def test_statistics_route_of_a_mounted_service() -> None:
    """What OPEA's TestBaseStatistics reads: GET /v1/statistics of the service, p50 == p99."""
    statistics_dict[SVC1] = statistics_dict[SVC1].__class__()
    for _ in range(2):
        statistics_dict[SVC1].append_latency(0.25, None)
    app = FastAPI()
    app.include_router(opea_microservices["s1"].router())
    res = TestClient(app).get("/v1/statistics").json()
    assert int(res[SVC1]["p50_latency"] * 1000) == int(res[SVC1]["p99_latency"] * 1000) == 250
    assert res[SVC1]["p50_latency_first_token"] is None


def test_percentiles_interpolate_like_numpy() -> None:
    from gateway.orchestrator.statistics import BaseStatistics

    stats = BaseStatistics(window=100)
    for value in (1, 2, 3, 4, 10):
        stats.append_latency(value)
    res = stats.get_statistics()
    # numpy.percentile([1, 2, 3, 4, 10], 50) == 3.0, (..., 99) == 9.76
    assert res["p50_latency"] == 3.0 and abs(res["p99_latency"] - 9.76) < 1e-9
    assert res["average_latency"] == 4.0


def test_the_window_bounds_memory() -> None:
    from gateway.orchestrator.statistics import BaseStatistics

    stats = BaseStatistics(window=10)
    for value in range(1000):
        stats.append_latency(value + 1, value + 1)
    assert len(stats.response_times) == len(stats.first_token_latencies) == 10
    assert stats.get_statistics()["p50_latency"] == 995.5
