"""Docker test fixtures: the engine (fail in CI, skip locally when absent), leftovers cleanup."""

from __future__ import annotations

from collections.abc import Iterator

import docker
import pytest

from .support import engine, remove_leftovers


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/docker/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.docker)


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    client = engine()
    # Leftovers of killed earlier runs (a name or network in use is the usual failure);
    # each test stack removes itself in its own teardown.
    remove_leftovers(client)
    yield client
    remove_leftovers(client)
    client.close()
