"""API keys: listed and revoked from the CLI; a revoked key is refused at once by a server
running in another process (issue 11: no key cache), on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from test_cli import Cli, ok

from qorgau.bootstrap import initialise
from qorgau.config import Settings
from servers import start_server, stop_server


@pytest.fixture
def ready(tmp_path: Path, database_url: str) -> Cli:
    cli = Cli(tmp_path / "var", database_url)
    initialise(cli.settings())
    return cli


def test_a_revoked_key_is_refused_at_once_by_a_running_server(ready: Cli, tmp_path: Path) -> None:
    token = ok(ready("keys", "create", "--role", "dpo", "--name", "to-revoke")).stdout.strip()
    settings = Settings(home=ready.home, database_url=ready.database_url, audit_partitions=16)
    base, proc, _log = start_server(settings, tmp_path)
    try:
        auth = {"Authorization": f"Bearer {token}"}
        assert httpx.get(f"{base}/api/v1/requests", headers=auth).status_code == 200
        (entry,) = json.loads(ok(ready("keys", "list", "--json")).stdout)
        assert entry["role"] == "dpo"
        assert entry["revoked_at"] is None
        assert token not in json.dumps(entry)  # the token is never listed
        out = ok(ready("keys", "revoke", entry["id"])).stdout
        assert "revoked" in out
        r = httpx.get(f"{base}/api/v1/requests", headers=auth)
        assert r.status_code == 401
        assert r.headers["content-type"].startswith("application/problem+json")
        (entry,) = json.loads(ok(ready("keys", "list", "--json")).stdout)
        assert entry["revoked_at"] is not None
        assert "already" in ok(ready("keys", "revoke", entry["id"])).stdout
    finally:
        stop_server(proc)
    missing = ready("keys", "revoke", "nosuchkey")
    assert missing.returncode == 1
    assert "no API key" in missing.stderr


def test_keys_are_only_for_people_and_partners(ready: Cli) -> None:
    for role in ("cli", "worker"):
        r = ready("keys", "create", "--role", role)
        assert r.returncode == 2, role
        assert "unknown role" in r.stderr
