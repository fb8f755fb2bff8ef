"""Browser fixtures: Debian's Chromium driven by Playwright against a real uvicorn server.

* ``chromium_path`` (session): ``QORGAU_CHROMIUM`` or ``/usr/bin/chromium``. Missing: the
  tests skip, or fail when ``QORGAU_REQUIRE_BROWSER=1`` (set by ``.ci/run``). Playwright's
  own browser download is never used: the browser is always launched by path.
* ``browser`` (session): one Chromium; ``context`` / ``new_context`` (function): a fresh
  browser context (cookies, locale, JavaScript on or off) per test.
* ``site`` (module): a uvicorn process on a free port over a copy of the migrated SQLite
  template, with a keyring and an audit signing key in a private home, the policy published
  twice (v1, v2: the versions list and an older version have something to show) and the
  rate limit raised so a test run is never throttled.
* ``shot``: ``shot(page, "step")`` saves ``test-artifacts/screenshots/<test>-<step>.png``
  under the repository root (the directory is git-ignored; CI keeps it as an artefact).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Playwright, sync_playwright
from sqlalchemy import Engine

from qorgau.audit.mac import MacKey
from qorgau.config import Settings
from qorgau.container import Container, build_container
from qorgau.crypto.keyring import LocalKeyring
from qorgau.crypto.signer import Signer
from qorgau.security.actors import Actor
from servers import start_server, stop_server

#: Same partition count as the templates in tests/conftest.py.
PARTITIONS = 16
DEFAULT_CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
REPO_ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO_ROOT / "test-artifacts" / "screenshots"
DPO = Actor("dpo", "browser:dpo")
#: Playwright's wait for any one action or assertion (ms); the site answers in milliseconds.
TIMEOUT_MS = 10_000


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "browser_context(**options): options for the `context` fixture's browser context "
        "(locale, java_script_enabled, ...)",
    )


# -- the browser ----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Chromium's executable; skip (or fail under QORGAU_REQUIRE_BROWSER=1) without one."""
    path = os.environ.get("QORGAU_CHROMIUM") or DEFAULT_CHROMIUM
    found = shutil.which(path)
    if found is None:
        message = f"Chromium not found at {path!r} (set QORGAU_CHROMIUM; `make browser`)"
        if os.environ.get("QORGAU_REQUIRE_BROWSER") == "1":
            pytest.fail(f"browser tests required (QORGAU_REQUIRE_BROWSER=1): {message}")
        pytest.skip(message)
    return found


@pytest.fixture(scope="session")
def playwright_driver(chromium_path: str) -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_driver: Playwright, chromium_path: str) -> Iterator[Browser]:
    chromium = playwright_driver.chromium.launch(
        executable_path=chromium_path, args=CHROMIUM_ARGS, headless=True
    )
    try:
        yield chromium
    finally:
        chromium.close()


# -- the server -------------------------------------------------------------------------------


@dataclass
class BrowserSite:
    """The running server, its database (for assertions) and its development outbox."""

    base: str
    log: Path
    outbox: Path
    proc: subprocess.Popen[bytes]
    services: Container

    @property
    def engine(self) -> Engine:
        return self.services.db.engine

    def outbox_entry(self, challenge: str) -> dict[str, str]:
        """The development sender's line for ``challenge`` (written before the page)."""
        deadline = time.monotonic() + 5
        while True:
            if self.outbox.exists():
                for line in reversed(self.outbox.read_text(encoding="utf-8").splitlines()):
                    entry: dict[str, str] = json.loads(line)
                    if entry["challenge"] == challenge:
                        return entry
            if time.monotonic() > deadline:
                raise AssertionError("no outbox entry for the challenge")
            time.sleep(0.05)

    def stop(self) -> None:
        stop_server(self.proc)


@pytest.fixture(scope="module")
def site(
    chromium_path: str, sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BrowserSite]:
    """A real server over a fresh migrated SQLite database, policy published (v1, v2)."""
    db_path = tmp_path_factory.mktemp("browser-db") / "qorgau.db"
    shutil.copy(sqlite_template, db_path)
    home = tmp_path_factory.mktemp("browser-home") / "var"
    home.mkdir(mode=0o700)
    LocalKeyring.create(home / "keyring.json")
    Signer.create(home / "audit-signing.key")
    MacKey.create(home / "audit-mac.key")
    settings = Settings(home=home, database_url=f"sqlite:///{db_path}", audit_partitions=PARTITIONS)
    services = build_container(settings)
    with services.db.unit_of_work() as conn:
        services.policy.publish(conn, DPO, note="browser tests: first")
        services.policy.publish(conn, DPO, note="browser tests: second")
    base, proc, log = start_server(
        settings,
        tmp_path_factory.mktemp("browser-site"),
        env={
            "QORGAU_OTP_SENDER": "dev",
            "QORGAU_RATE_LIMIT_BURST": "10000",
            "QORGAU_RATE_LIMIT_PER_MINUTE": "10000",
        },
        log_level="warning",
    )
    srv = BrowserSite(base, log, settings.outbox_path, proc, services)
    try:
        yield srv
    finally:
        srv.stop()
        services.close()


# -- contexts and pages ----------------------------------------------------------------------

ContextFactory = Callable[..., BrowserContext]


@pytest.fixture
def new_context(browser: Browser, site: BrowserSite) -> Iterator[ContextFactory]:
    """``new_context(locale="kk-KZ", java_script_enabled=False, ...)``: a fresh context
    (its own cookies) with the site as base URL; all closed after the test."""
    made: list[BrowserContext] = []

    def make(**options: Any) -> BrowserContext:
        opts: dict[str, Any] = {
            "base_url": site.base,
            "locale": "ru-RU",
            "viewport": {"width": 1280, "height": 900},
            **options,
        }
        ctx = browser.new_context(**opts)
        ctx.set_default_timeout(TIMEOUT_MS)
        made.append(ctx)
        return ctx

    yield make
    for ctx in made:
        ctx.close()


@pytest.fixture
def context(request: pytest.FixtureRequest, new_context: ContextFactory) -> BrowserContext:
    """A fresh context; ``@pytest.mark.browser_context(locale=..., ...)`` sets its options."""
    marker = request.node.get_closest_marker("browser_context")
    return new_context(**(marker.kwargs if marker else {}))


@pytest.fixture
def page(context: BrowserContext) -> Page:
    return context.new_page()


Shot = Callable[[Page, str], Path]


@pytest.fixture
def shot(request: pytest.FixtureRequest) -> Shot:
    """``shot(page, "step")``: a full-page screenshot named after the test and the step."""
    test = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name).strip("_")

    def take(pg: Page, step: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{test}-{re.sub(r'[^A-Za-z0-9_.-]+', '_', step)}.png"
        pg.screenshot(path=str(path), full_page=True)
        return path

    return take
