"""The gateway process has one upstream HTTP client (upstream/http1.py) and one Consul client
(consul_client/): httpx, which the orchestrator used for its own calls and Consul reads, and
py-consul, which registered the gateway, are not even imported; and statically, each HTTP
client library is imported only by the module that owns its kind of call."""

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


# Which gateway modules may import an HTTP client library: upstream calls go through
# upstream/http1.py (httptools), Consul through consul_client/ (aiohttp), the Docker engine
# through the docker SDK in the replica runtimes; the socket proxy is a program of its own.
ALLOWED = {
    "aiohttp": ("gateway.consul_client.transport", "gateway.replicas.sockproxy."),
    "docker": ("gateway.replicas.docker_backend", "gateway.replicas.swarm_backend"),
    "httpx": (),
    "requests": (),
    "consul": (),  # py-consul
    "urllib.request": (),
    "http.client": (),
}


def test_http_client_libraries_are_imported_only_where_they_belong() -> None:
    import ast

    from tests.gateway.test_import_cycles import PACKAGE_ROOT, module_name

    wrong = []
    for path in (PACKAGE_ROOT / "gateway").rglob("*.py"):
        module = module_name(path)
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                for library, allowed in ALLOWED.items():
                    if (name == library or name.startswith(library + ".")) and not module.startswith(
                        allowed or ("\0",)
                    ):
                        wrong.append(f"{module} imports {name}")
    assert not wrong, "\n".join(sorted(wrong))
