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
        assert entry["reissue"] is False  # keyed (issue 13)
        assert "re-issue" not in ok(ready("keys", "list")).stdout
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


def test_a_legacy_key_is_listed_as_needing_reissue(ready: Cli) -> None:
    """A key from before issue 13 (plain SHA-256, tagged by ``init``) is flagged in both
    listings; ``init`` tags only once."""
    import hashlib
    from datetime import UTC, datetime

    from sqlalchemy import insert

    from qorgau.security.store import api_key

    svc = ready.services()
    token = "qg_0ld0ld00_" + "x" * 22
    try:
        with svc.db.unit_of_work() as conn:
            conn.execute(
                insert(api_key).values(
                    id="0ld0ld00", digest=hashlib.sha256(token.encode()).digest(),
                    role="dpo", name="legacy", created_at=datetime.now(UTC), scheme="sha256",
                )
            )  # fmt: skip
            assert svc.api_keys.tag_legacy(conn) == 1  # what init did right after 0011
        (entry,) = json.loads(ok(ready("keys", "list", "--json")).stdout)
        assert (entry["id"], entry["reissue"]) == ("0ld0ld00", True)
        assert "needs re-issue" in ok(ready("keys", "list")).stdout
        with svc.db.engine.connect() as conn:
            assert svc.api_keys.authenticate(conn, token).id == "0ld0ld00"
    finally:
        svc.close()
