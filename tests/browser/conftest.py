"""Headless Chromium (Debian's package) driven by Playwright against the system browser.

No browser is downloaded: ``executable_path`` is the system's chromium. In CI a missing
browser fails the tests (make test installs it through scripts/browser-setup.sh).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _chromium() -> str:
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    message = "no system chromium (scripts/browser-setup.sh installs Debian's package)"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


# Module scope, not session: Playwright's sync API keeps an event loop running in the main
# thread while it is open, and pytest-asyncio cannot run a test's loop beside it. Closing it
# at the end of each browser module leaves the rest of the suite a thread without a loop.
@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = _chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()
