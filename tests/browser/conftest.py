"""Browser fixtures: Debian's Chromium driven by Playwright, and pages of the bundled client.

The tests skip (with the reason) where Playwright or a ``chromium`` binary is
missing, so the rest of the suite runs on a machine without them. Playwright
never downloads a browser here: it drives the system's Chromium.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

try:
    from playwright.sync_api import Browser, Page, sync_playwright
except ImportError:  # the suite still runs without the browser tools
    sync_playwright = None

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
VIEWPORT = {"width": 1280, "height": 720}


# Per module, not per session: Playwright's sync API keeps an asyncio loop running in
# this thread while it is open, which would break later tests that call asyncio.run().
@pytest.fixture(scope="module")
def browser() -> "Browser":
    if sync_playwright is None:
        pytest.skip("Playwright is not installed (pip install playwright)")
    if CHROMIUM is None:
        pytest.skip("no chromium on PATH (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture
def open_page(browser):
    """``open_page(url)``: a fresh browser context (its own storage) at 1280×720 on ``url``.

    Every page collects its script errors in ``page.script_errors``; a test
    that ends with any fails, as a broken client would.
    """
    contexts, pages = [], []

    def open_page(url: str) -> "Page":
        context = browser.new_context(viewport=VIEWPORT)
        contexts.append(context)
        page = context.new_page()
        page.script_errors = []
        page.on("pageerror", lambda error: page.script_errors.append(str(error)))
        page.on("console", lambda message: message.type == "error" and page.script_errors.append(message.text))
        page.set_default_timeout(10_000)
        page.goto(url)
        pages.append(page)
        return page

    yield open_page
    errors = [error for page in pages for error in page.script_errors
              if "WebSocket" not in error]  # a refused reconnect while the edge is down is expected
    for context in contexts:
        context.close()
    assert errors == [], f"script errors in the client: {errors}"


@pytest.fixture
def screenshot_dir(tmp_path) -> Path:
    """Where screenshots go: $ODYSSEY_SCREENSHOTS if set, else the test's tmp_path."""
    target = Path(os.environ.get("ODYSSEY_SCREENSHOTS") or tmp_path)
    target.mkdir(parents=True, exist_ok=True)
    return target
