"""Small raw-HTTP helpers to look at what an agent holds (tests read the wire, not a client)."""

from __future__ import annotations

from typing import Any

import httpx


def passing_instances(consul_url: str, service: str) -> list[dict[str, Any]]:
    resp = httpx.get(f"{consul_url}/v1/health/service/{service}", params={"passing": "1"}, timeout=5)
    resp.raise_for_status()
    result: list[dict[str, Any]] = resp.json()
    return result


def agent_services(consul_url: str) -> dict[str, Any]:
    resp = httpx.get(f"{consul_url}/v1/agent/services", timeout=5)
    resp.raise_for_status()
    result: dict[str, Any] = resp.json()
    return result
