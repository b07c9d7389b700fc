"""Fixtures shared by the whole suite."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.processes import dev_agent


@pytest.fixture
def consul_url() -> Iterator[str]:
    """A fresh dev agent on a free port for one test; its base URL."""
    with dev_agent() as url:
        yield url


@pytest.fixture(scope="module")
def module_consul_url() -> Iterator[str]:
    """One dev agent shared by the tests of a module."""
    with dev_agent() as url:
        yield url
