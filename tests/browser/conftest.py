"""Browser tests: Playwright drives the system Chromium against pytest-django's live server.

Never downloads a browser: without `chromium` on the PATH the tests are skipped."""

import shutil
from collections.abc import Iterator

import pytest
from django.core.cache import cache
from django.db import connections
from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser(monkeypatch: pytest.MonkeyPatch) -> Iterator[Browser]:
    executable = shutil.which("chromium")
    if executable is None:
        pytest.skip("chromium is not installed")
    # Playwright's sync API keeps an event loop running in the test thread, and Django refuses ORM
    # calls from a thread with a running loop. The test thread only arranges data and asserts.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()
        # While the loop runs, Django keeps the test thread's connections apart from its usual ones;
        # close them here, or PostgreSQL refuses to drop the test database at the end of the run.
        connections.close_all()


@pytest.fixture
def page(browser: Browser, live_server) -> Iterator[Page]:
    # Failed sign-ins are rate limited in the cache, which outlives the test database.
    cache.clear()
    context = browser.new_context(base_url=live_server.url, viewport={"width": 1366, "height": 860}, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()
    cache.clear()
