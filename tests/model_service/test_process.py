"""The real process: bad artifacts stop it before it registers; a good one registers with tags/meta.

Issue #4, start-up and discovery: `python -m model_service` with a missing, corrupt or
mismatching artifact exits non-zero with one log line naming the file and the reason; a
good replica shows up passing in `/v1/health/service/gdp-growth-model` with `model:<name>`.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from model_service.settings import default_model_dir
from tests.support.consul import passing_instances
from tests.support.model_service import model_service_env, model_service_processes
from tests.support.processes import free_port, wait_until

VALID = {
    "gdp_per_capita": 50000,
    "unemployment_rate": 5.2,
    "gdp_growth_rate_lag": 2.1,
    "gdp_growth_rate_ma": 2.3,
}


def _run_until_exit(
    env: dict[str, str], cwd: Path, timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "model_service"],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    target = tmp_path / "models"
    shutil.copytree(default_model_dir(), target)
    return target


def _flip_last_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-1] ^= 0xFF
    path.write_bytes(bytes(data))


def test_hash_mismatch_stops_the_process(model_dir: Path, tmp_path: Path) -> None:
    """Missing and corrupt files take the same path in-process (test_startup.py); one real exit here."""
    target = model_dir / "RandomForest.skops"
    _flip_last_byte(target)
    # No agent needed: the service must exit before it would try to register.
    env = model_service_env(None, "RandomForest", free_port(), model_dir=model_dir)
    result = _run_until_exit(env, cwd=tmp_path)
    output = result.stdout + result.stderr
    assert result.returncode != 0, output
    line = next(line for line in output.splitlines() if "cannot serve model" in line)
    assert str(target) in line and "sha256 mismatch" in line
    assert "registered" not in output


def test_registers_passing_with_model_tag_and_meta(consul_url: str, tmp_path: Path) -> None:
    """Two replicas, two models, from the real dev agent's point of view."""
    # started from a directory that is not the repository: artifacts are found from the package
    with model_service_processes(consul_url, ["LinearRegression", "RandomForestRegressor"], cwd=tmp_path) as (
        linear,
        forest,
    ):
        wait_until(lambda: len(passing_instances(consul_url, "gdp-growth-model")) == 2, 15, what="2 passing")
        entries = {e["Service"]["Port"]: e for e in passing_instances(consul_url, "gdp-growth-model")}
        for instance, model in ((linear, "LinearRegression"), (forest, "RandomForest")):
            service = entries[instance.port]["Service"]
            assert service["Address"] == "127.0.0.1"
            assert f"model:{model}" in service["Tags"]
            assert service["Meta"]["model"] == model
            # the advertised instance really serves that model
            url = f"http://{service['Address']}:{service['Port']}"
            assert httpx.post(f"{url}/api/predict/gdp_growth_rate", json=VALID).json()["model"] == model
            assert httpx.get(f"{url}/health").json() == {"status": "ok", "model": model}
        # `?tag=` filtering is how a gateway can pick instances by model
        resp = httpx.get(
            f"{consul_url}/v1/health/service/gdp-growth-model",
            params={"passing": "1", "tag": "model:RandomForest"},
        )
        assert [e["Service"]["Port"] for e in resp.json()] == [forest.port]
        forest_proc = forest.process
    # SIGTERM ran the lifespan shutdown (uvicorn then re-raises the signal, so the code is 0 or -15)
    assert forest_proc.proc is not None and forest_proc.proc.returncode in (0, -signal.SIGTERM)
    assert "deregistered" in forest_proc.output()
    assert passing_instances(consul_url, "gdp-growth-model") == []
