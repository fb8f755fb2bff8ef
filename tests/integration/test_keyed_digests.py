"""Issue 13, an insider: someone who can write to the database but holds no key (nor the
keyring) cannot mint an API key or a staff session by inserting a row, nor widen a key by
editing its row. API key and session digests are keyed with a secret derived from the site
secret, outside the database. Keys issued before the change keep working (tagged once by
the server after migration 0011) and are listed as needing re-issue; sessions are dropped.
On SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

import pytest
from alembic import command
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select, text, update

from legacylog import old_audit_code
from qorgau.audit.store import audit_event
from qorgau.bootstrap import initialise, legacy_tag_marker
from qorgau.config import Settings
from qorgau.container import Container, build_container
from qorgau.crypto.derive import derive_key
from qorgau.migrate import alembic_config
from qorgau.security.apikeys import PREFIX
from qorgau.security.console_kit import SESSION_COOKIE
from qorgau.security.store import api_key, staff_session
from qorgau.server import create_app

PASSWORD = "correct horse battery staple"
REQUESTS = "/api/v1/requests"  # a dpo's API


def _token() -> tuple[str, str]:
    """A token of the insider's choice, in the right shape: (key id, token)."""
    key_id = secrets.token_hex(4)
    return key_id, PREFIX + key_id + "_" + secrets.token_urlsafe(16)


def _insert(services: Container, key_id: str, digest: bytes, **extra: object) -> None:
    with services.db.unit_of_work() as conn:
        conn.execute(
            insert(api_key).values(
                id=key_id, digest=digest, role="dpo", name="insider",
                created_at=datetime.now(UTC), **extra,
            )
        )  # fmt: skip


def _get(client: TestClient, token: str, path: str = REQUESTS) -> int:
    return client.get(path, headers={"Authorization": f"Bearer {token}"}).status_code


def _sha256(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def test_rows_an_insider_inserts_are_refused(services: Container) -> None:
    client = TestClient(create_app(services))
    wrong = secrets.token_bytes(32)  # a key that is not the server's
    forged: list[str] = []

    # scheme 'hmac' with the old unkeyed digest
    key_id, token = _token()
    _insert(services, key_id, _sha256(token), scheme="hmac", tag=secrets.token_bytes(32))
    forged.append(token)
    # scheme 'hmac' with a digest keyed with a wrong key (the tag likewise)
    key_id, token = _token()
    digest = hmac.digest(wrong, f"api-key\x00{token}".encode(), "sha256")
    tag = hmac.digest(wrong, b"api-key-row\x00hmac\x00" + key_id.encode(), "sha256")
    _insert(services, key_id, digest, scheme="hmac", tag=tag)
    forged.append(token)
    # legacy 'sha256' without a tag (the column's default scheme, too)
    key_id, token = _token()
    _insert(services, key_id, _sha256(token))
    forged.append(token)
    # legacy 'sha256' with a forged tag
    key_id, token = _token()
    tag = hmac.digest(wrong, b"legacy-key\x00" + key_id.encode() + _sha256(token), "sha256")
    _insert(services, key_id, _sha256(token), scheme="sha256", tag=tag)
    forged.append(token)
    # a tag copied from a genuine key onto the insider's row
    with services.db.unit_of_work() as conn:
        genuine, good = services.api_keys.create_key(conn, "dpo", "genuine")
        (real_tag,) = conn.execute(select(api_key.c.tag).where(api_key.c.id == genuine.id)).one()
    key_id, token = _token()
    _insert(services, key_id, _sha256(token), scheme="sha256", tag=real_tag)
    forged.append(token)

    for token in forged:
        r = client.get(REQUESTS, headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 401, token
        assert r.json()["type"] == "/problems/unauthenticated"
        # nor do they see the status page's figures
        page = client.get("/status", headers={"Authorization": f"Bearer {token}"}).text
        assert "Subjects: active" not in page
    assert _get(client, good) == 200
    page = client.get("/status", headers={"Authorization": f"Bearer {good}"}).text
    assert "Subjects: active" in page


def test_a_new_key_is_keyed_and_its_row_cannot_be_widened(services: Container) -> None:
    client = TestClient(create_app(services))
    with services.db.unit_of_work() as conn:
        key, token = services.api_keys.create_key(conn, "analyst", "new")
        row = conn.execute(select(api_key).where(api_key.c.id == key.id)).one()
    assert row.scheme == "hmac"
    assert bytes(row.digest) != _sha256(token)
    with services.db.engine.connect() as conn:  # closed: SQLite's writer must not wait on it
        (view,) = services.api_keys.list_keys(conn)
    assert view.reissue is False
    assert _get(client, token) == 403  # an analyst's key: known, but not the dpo's API
    with services.db.unit_of_work() as conn:  # the insider makes it a dpo's key
        conn.execute(update(api_key).where(api_key.c.id == key.id).values(role="dpo"))
    assert _get(client, token) == 401


def test_a_key_from_before_the_change_works_until_reissued(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Made at 0010 (the previous main: plain SHA-256), upgraded by ``qorgau init``: the key
    works, is listed as needing re-issue; a legacy row inserted after the tagging is refused
    though ``init`` runs again; every staff session was dropped."""
    url = settings.resolved_database_url
    command.downgrade(alembic_config(url), "0010")
    old_audit_code(monkeypatch)
    key_id, token = _token()
    svc = build_container(settings)
    try:
        with svc.db.unit_of_work() as conn:
            now = datetime.now(UTC)
            conn.execute(
                text(
                    "INSERT INTO api_key (id, digest, role, name, created_at) "
                    "VALUES (:id, :digest, 'dpo', 'old', :now)"
                ),
                {"id": key_id, "digest": _sha256(token), "now": now},
            )
            user = svc.staff.create_user(conn, "old.session", PASSWORD, "dpo")
            conn.execute(
                text(
                    "INSERT INTO staff_session (id, user_id, created_at, expires_at) "
                    "VALUES (:id, :user, :now, :later)"
                ),
                {"id": "a" * 64, "user": user.id, "now": now, "later": now + timedelta(hours=1)},
            )
    finally:
        svc.close()
    monkeypatch.undo()

    command.upgrade(alembic_config(url), "head")
    svc = build_container(settings)
    try:
        with svc.db.engine.connect() as conn:
            assert conn.execute(select(func.count()).select_from(staff_session)).scalar() == 0
            row = conn.execute(select(api_key).where(api_key.c.id == key_id)).one()
        assert (row.scheme, row.tag) == ("sha256", None)
        client = TestClient(create_app(svc))
        assert _get(client, token) == 401  # not tagged yet: refused
    finally:
        svc.close()

    assert not legacy_tag_marker(settings).exists()
    done = initialise(settings)
    assert any("tagged 1 legacy API key" in line for line in done)
    assert legacy_tag_marker(settings).exists()
    svc = build_container(settings)
    try:
        client = TestClient(create_app(svc))
        assert _get(client, token) == 200
        with svc.db.engine.connect() as conn:
            (view,) = svc.api_keys.list_keys(conn)
        assert (view.id, view.reissue) == (key_id, True)
        assert svc.verify_audit().ok  # the rows from before were recorded by init

        # Later, an insider inserts a legacy row: no later run tags it.
        late_id, late = _token()
        _insert(svc, late_id, _sha256(late))
        initialise(settings)
        # Nor does another home sharing the database (no marker there): the audit log
        # records that the tagging was done.
        legacy_tag_marker(settings).unlink()
        initialise(settings)
        assert legacy_tag_marker(settings).exists()
        with svc.db.engine.connect() as conn:
            tag = conn.execute(select(api_key.c.tag).where(api_key.c.id == late_id)).scalar()
            events = conn.execute(
                select(func.count())
                .select_from(audit_event)
                .where(audit_event.c.action == "key.legacy-tag")
            ).scalar()
        assert tag is None
        assert events == 1
        # ... and audit verify names it (issue 13: no security row without its event).
        report = svc.verify_audit()
        assert f"api_key row {late_id}: inserted without its audited event" in str(report.first)
        assert _get(client, late) == 401
        assert _get(client, token) == 200
        # Re-issued: the new key works, the old one is revoked.
        with svc.db.unit_of_work() as conn:
            _new, fresh = svc.api_keys.create_key(conn, "dpo", "re-issued")
            assert svc.api_keys.revoke_key(conn, key_id)
        assert _get(client, fresh) == 200
        assert _get(client, token) == 401
        # An insider un-revoking it in the database does not bring it back.
        with svc.db.unit_of_work() as conn:
            conn.execute(update(api_key).where(api_key.c.id == key_id).values(revoked_at=None))
        assert _get(client, token) == 401
    finally:
        svc.close()


def _b64mac(key: bytes, token: str) -> str:
    import base64

    mac = hmac.digest(key, f"staff-session\x00{token}".encode(), "sha256")
    return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


@pytest.mark.parametrize("signed", [False, True])
def test_a_session_row_an_insider_inserts_opens_no_console(
    services: Container, signed: bool
) -> None:
    """The session id is keyed too: a row with the old id, SHA-256 of a token, opens
    nothing, whether the cookie is unsigned or (were the cookie key ever to leak) signed."""
    client = TestClient(create_app(services), follow_redirects=False)
    with services.db.unit_of_work() as conn:
        user = services.staff.create_user(conn, "aigerim.dpo", PASSWORD, "dpo")
        cookie, _ = services.staff.open_session(conn, user)
    client.cookies.set(SESSION_COOKIE, cookie, path="/console")
    assert client.get("/console/").status_code == 200  # a genuine session does

    token = secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with services.db.unit_of_work() as conn:
        conn.execute(
            insert(staff_session).values(
                id=hashlib.sha256(token.encode()).hexdigest(), user_id=user.id,
                created_at=now, expires_at=now + timedelta(hours=1),
            )
        )  # fmt: skip
    mac = _b64mac(derive_key(services.site_secret, "staff-session"), token) if signed else "x"
    forged = f"{token}.{mac}"
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, forged, path="/console")
    r = client.get("/console/")
    assert r.status_code != 200
    with services.db.engine.connect() as conn:
        assert services.staff.session_user(conn, forged) is None
        assert services.staff.session_user(conn, cookie) is not None
