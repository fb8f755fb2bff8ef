"""The staff console warns while this year or the next has no decree data (issue 14,
must-have 9): a real uvicorn process, a staff login, the warning in kk/ru/en; once the
operator loads both years and the server restarts, the warning is gone."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest

from qorgau.config import Settings
from qorgau.container import build_container
from qorgau.i18n import t
from qorgau.law.decrees import store

PASSWORD = "e2e console password 42"
QORGAU = [str(Path(sys.executable).with_name("qorgau"))]


def _years() -> tuple[int, int]:
    this = datetime.now(UTC).astimezone(ZoneInfo("Asia/Almaty")).year
    return this, this + 1


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class Server:
    def __init__(self, settings: Settings, workdir: Path) -> None:
        self.settings = settings
        self.workdir = workdir
        self.proc: subprocess.Popen[bytes] | None = None
        self.base = ""

    def start(self) -> None:
        port = _free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("QORGAU_")}
        env.update(
            QORGAU_HOME=str(self.settings.home),
            QORGAU_DATABASE_URL=self.settings.resolved_database_url,
            QORGAU_AUDIT_PARTITIONS=str(self.settings.audit_partitions),
        )
        cmd = [sys.executable, "-m", "uvicorn", "qorgau.asgi:app", "--port", str(port)]
        log = (self.workdir / "server.log").open("ab")
        self.proc = subprocess.Popen(cmd, cwd=self.workdir, env=env, stdout=log, stderr=log)
        self.base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                pytest.fail(f"server exited:\n{(self.workdir / 'server.log').read_text()}")
            try:
                if httpx.get(f"{self.base}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("server did not answer /healthz")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@pytest.fixture(scope="module")
def server(module_settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    services = build_container(module_settings)
    try:
        with services.db.unit_of_work() as conn:
            services.staff.create_user(conn, "dpo.calendar", PASSWORD, "dpo")
    finally:
        services.close()
    srv = Server(module_settings, tmp_path_factory.mktemp("e2e-calendar"))
    srv.start()
    try:
        yield srv
    finally:
        srv.stop()


def _token(html: str, form_id: str) -> str:
    start = html.index(f'id="{form_id}"')
    m = re.search(r'name="csrf" value="([^"]+)"', html[start:])
    assert m, "no CSRF token"
    return m.group(1)


def _console(srv: Server, lang: str) -> str:
    with httpx.Client(base_url=srv.base, headers={"accept-language": lang}, timeout=30) as http:
        login = http.get("/console/login")
        assert 'id="calendar-warning"' not in login.text  # nobody signed in: nothing told
        data = {
            "csrf": _token(login.text, "login-form"),
            "username": "dpo.calendar",
            "password": PASSWORD,
        }
        assert http.post("/console/login", data=data).status_code == 303
        page = http.get("/console/")
        assert page.status_code == 200
        return page.text


@pytest.mark.parametrize("lang", ["kk", "ru", "en"])
def test_the_console_warns_of_years_without_decree_data(server: Server, lang: str) -> None:
    html = _console(server, lang)
    assert 'id="calendar-warning"' in html
    this, nxt = _years()
    expected = t(lang, "console.calendar_warning.missing", years=f"{this}, {nxt}")
    assert expected in html.replace("&#39;", "'").replace("&#96;", "`")


def test_the_warning_goes_once_both_years_are_loaded(server: Server) -> None:
    this, nxt = _years()
    store(server.settings.home, f'country = "KZ"\nyear = {this}\nchecked = 2026-12-01\n')
    server.stop()
    server.start()
    html = _console(server, "en")
    expected = t("en", "console.calendar_warning.missing", years=f"{nxt}")
    assert expected in html.replace("&#39;", "'").replace("&#96;", "`")
    store(server.settings.home, f'country = "KZ"\nyear = {nxt}\nchecked = 2026-12-01\n')
    server.stop()
    server.start()
    assert 'id="calendar-warning"' not in _console(server, "en")
