"""Run the model service as real processes (for the model-service and gateway end-to-end tests).

``model_service_process(consul_url, "RandomForest")`` runs one replica;
``model_service_processes(consul_url, ["LinearRegression", "RandomForest"])`` starts several
at once (each start imports scikit-learn, seconds on a busy machine, so they overlap).
Each is ready when ``/health`` is 200 (model loaded); registration follows in the background.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.support.processes import ServiceProcess, free_port, python_module, wait_http


@dataclass(frozen=True)
class ModelServiceInstance:
    process: ServiceProcess
    port: int
    model: str

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def model_service_env(
    consul_url: str | None,
    model_name: str,
    port: int,
    *,
    model_dir: Path | None = None,
    check_interval: str = "1s",
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Environment for ``python -m model_service``; ``consul_url=None`` disables registration."""
    env = {
        "SERVICE_PORT": str(port),
        "SERVICE_HOST": "127.0.0.1",
        "GDP_MODEL_NAME": model_name,
        "CHECK_INTERVAL": check_interval,
        "CHECK_TIMEOUT": "1s",
        "LOG_FORMAT": "text",
    }
    if consul_url is None:
        env["SERVICE_REGISTER"] = "false"
    else:
        env["CONSUL_HTTP_ADDR"] = consul_url
    if model_dir is not None:
        env["GDP_MODEL_DIR"] = str(model_dir)
    env.update(extra or {})
    return env


@contextmanager
def model_service_processes(
    consul_url: str | None,
    models: Sequence[str],
    *,
    model_dir: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
    ready_timeout: float = 90.0,
    cwd: Path | None = None,
) -> Iterator[list[ModelServiceInstance]]:
    """One replica per entry of ``models`` (free ports), started together, all stopped on exit."""
    with ExitStack() as stack:
        instances = []
        for model in models:
            port = free_port()
            proc = ServiceProcess(
                python_module("model_service"),
                name=f"model-{model}-{port}",
                env=model_service_env(consul_url, model, port, model_dir=model_dir, extra=extra_env),
                cwd=cwd,
            )
            stack.enter_context(proc)  # starts without waiting; stop() on exit
            instances.append(ModelServiceInstance(process=proc, port=port, model=model))
        for instance in instances:
            try:
                wait_http(f"{instance.url}/health", timeout=ready_timeout, expect_status=200)
            except TimeoutError as exc:
                raise RuntimeError(
                    f"{instance.process.name} not ready: {exc}\n{instance.process.output()}"
                ) from exc
        yield instances


@contextmanager
def model_service_process(
    consul_url: str | None,
    model_name: str = "LinearRegression",
    port: int | None = None,
    *,
    model_dir: Path | None = None,
    extra_env: Mapping[str, str] | None = None,
    ready_timeout: float = 90.0,
    cwd: Path | None = None,
) -> Iterator[ModelServiceInstance]:
    """A model service serving ``model_name`` on ``port`` (free port if None), stopped on exit."""
    port = port or free_port()
    proc = ServiceProcess(
        python_module("model_service"),
        name=f"model-{model_name}-{port}",
        env=model_service_env(consul_url, model_name, port, model_dir=model_dir, extra=extra_env),
        cwd=cwd,
    )
    with proc:
        try:
            wait_http(f"http://127.0.0.1:{port}/health", timeout=ready_timeout, expect_status=200)
        except TimeoutError as exc:
            raise RuntimeError(f"{proc.name} not ready: {exc}\n{proc.output()}") from exc
        yield ModelServiceInstance(process=proc, port=port, model=model_name)
