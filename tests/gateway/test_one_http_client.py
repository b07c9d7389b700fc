"""The gateway process has one upstream HTTP client (upstream/http1.py) and one Consul client
(consul_client/): httpx, which the orchestrator used for its own calls and Consul reads, and
py-consul, which registered the gateway, are not even imported."""

from __future__ import annotations

import subprocess
import sys

from tests.support.processes import REPO_ROOT

PROGRAM = """
import sys
import gateway.__main__
from gateway.extensions import default_extensions
from gateway.orchestrator import ServiceOrchestrator, StandaloneCaller
from gateway.settings import GatewaySettings
default_extensions(GatewaySettings())
print(sorted(m for m in ("httpx", "httpcore", "consul") if m in sys.modules))
"""


def test_the_gateway_process_imports_neither_httpx_nor_py_consul() -> None:
    out = subprocess.run(
        [sys.executable, "-c", PROGRAM], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "[]", out.stdout + out.stderr
