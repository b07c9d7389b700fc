"""Metric labels and statistics keys come from bounded sets (issue #10, item 1).

Every distinct unknown name in ``/svc/<name>/…`` used to add a ``gateway_requests_total``
series; now names outside the routing table share one ``unknown`` value.
"""

from __future__ import annotations

import httpx

from ..conftest import Stack


def test_unknown_service_names_share_one_label(web_stack: Stack, http: httpx.Client) -> None:
    for i in range(200):
        assert http.get(f"{web_stack.url}/svc/nope-{i}/x").status_code == 503
    assert http.get(f"{web_stack.url}/svc/web/whoami").status_code == 200
    metrics = http.get(f"{web_stack.url}/metrics").text
    assert "nope-" not in metrics
    assert 'service="unknown"' in metrics
    assert 'service="web"' in metrics
    stats = http.get(f"{web_stack.url}/v1/statistics").text
    assert "nope-" not in stats


def test_odd_methods_share_one_statistics_key(web_stack: Stack) -> None:
    with httpx.Client(timeout=5) as client:
        for method in ("PROPFIND", "MKCOL", "LOCK"):
            client.request(method, f"{web_stack.url}/health")
        stats = client.get(f"{web_stack.url}/v1/statistics").json()
    keys = str(stats)
    assert "PROPFIND" not in keys and "MKCOL" not in keys
