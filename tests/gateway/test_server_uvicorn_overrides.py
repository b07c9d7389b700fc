"""server.py overrides methods of uvicorn's private ``HttpToolsProtocol`` (one of them copied
from uvicorn 0.54.0). pyproject pins that uvicorn; this test fails when the installed uvicorn's
code of those methods (or of the ones the copy calls) differs from what server.py was written
against, naming the methods to re-read before updating the pin and these hashes."""

from __future__ import annotations

import hashlib
import inspect

import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from gateway.server import CoalescingHttpToolsProtocol

WRITTEN_AGAINST = "0.54.0"
# sha256 of inspect.getsource(HttpToolsProtocol.<name>), first 16 hex digits.
UPSTREAM_SOURCE = {
    "_unset_keepalive_if_required": "00a6a4e47214e68e",
    "connection_lost": "c91a4c9bf2e29c55",
    "connection_made": "6efb565ff3d36b91",
    "data_received": "010a7ae59a5d3b1a",
    "on_body": "dba9c32aeba35b6a",
    "on_header": "65d62c044f61fdbd",  # copied into server.py, head limit added
    "on_headers_complete": "1ea8589acfad92d8",
    "on_message_complete": "1fbad42dc31fc01f",
    "on_response_complete": "64e254f28e389e76",  # copied into server.py, lazy timer added
    "on_url": "37be44e962b04ca8",
    "send_400_response": "ae5a4a3782b646fd",
    # called by the copied code
    "timeout_keep_alive_handler": "8b53bf5f2e202970",
    "_start_asgi_task": "9c08c2571ae9b038",
}


def source_hash(name: str) -> str:
    return hashlib.sha256(inspect.getsource(getattr(HttpToolsProtocol, name)).encode()).hexdigest()[:16]


def test_uvicorn_is_the_pinned_version() -> None:
    assert uvicorn.__version__ == WRITTEN_AGAINST


def test_every_overridden_uvicorn_method_is_tracked() -> None:
    overridden = {
        name
        for name, value in vars(CoalescingHttpToolsProtocol).items()
        if callable(value) and hasattr(HttpToolsProtocol, name)
    }
    assert overridden <= set(UPSTREAM_SOURCE), (
        f"add to UPSTREAM_SOURCE: {sorted(overridden - set(UPSTREAM_SOURCE))}"
    )


def test_overridden_uvicorn_code_is_unchanged() -> None:
    changed = sorted(name for name, digest in UPSTREAM_SOURCE.items() if source_hash(name) != digest)
    assert not changed, (
        f"uvicorn {uvicorn.__version__} changed HttpToolsProtocol.{', '.join(changed)}: "
        "re-read them against gateway/gateway/server.py, then update the pin and these hashes"
    )
