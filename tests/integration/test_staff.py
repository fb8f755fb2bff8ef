"""Console staff: argon2id passwords, login outcomes, sessions (policy 7.3.8).

Passwords are stored only as argon2id hashes; a wrong password, an unknown username and a
disabled user all fail, and an unknown username costs the same argon2 work as a known one;
sessions expire and logging out (or disabling the user) revokes them; every login attempt
is an audit event with its outcome and the user id, never the username typed or the password.
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta

import orjson
import pytest
from sqlalchemy import select

from qorgau.audit.store import audit_event
from qorgau.container import Container
from qorgau.security.staff import InvalidStaffUser, StaffUserExists
from qorgau.security.store import staff_session, staff_user

PASSWORD = "correct horse battery staple"


def _create(services: Container, username: str = "aigerim.dpo", role: str = "dpo") -> str:
    with services.db.unit_of_work() as conn:
        return services.staff.create_user(conn, username, PASSWORD, role).id


def _logins(services: Container) -> list[dict[str, object]]:
    with services.db.engine.connect() as conn:
        rows = conn.execute(
            select(audit_event.c.body)
            .where(audit_event.c.action == "login")
            .order_by(audit_event.c.at, audit_event.c.id)
        ).all()
    out = []
    for (body,) in rows:
        doc = orjson.loads(bytes(body))
        out.append({"actor": doc["by"], "raw": bytes(body).decode(), **doc.get("d", {})})
    return out


def test_password_is_stored_as_argon2id_only(services: Container) -> None:
    uid = _create(services)
    with services.db.engine.connect() as conn:
        row = conn.execute(select(staff_user).where(staff_user.c.id == uid)).mappings().one()
    assert row["password_hash"].startswith("$argon2id$v=19$")
    assert PASSWORD not in row["password_hash"]
    assert row["username"] == "aigerim.dpo"
    assert row["role"] == "dpo"
    assert row["disabled_at"] is None
    with services.db.unit_of_work() as conn:
        with pytest.raises(StaffUserExists):
            services.staff.create_user(conn, "Aigerim.DPO", PASSWORD, "dpo")
        with pytest.raises(InvalidStaffUser):
            services.staff.create_user(conn, "short-pw", "only10char", "dpo")
        with pytest.raises(InvalidStaffUser):
            services.staff.create_user(conn, "nobody", PASSWORD, "superuser")
        with pytest.raises(InvalidStaffUser):
            services.staff.create_user(conn, "a b", PASSWORD, "dpo")


def test_login_outcomes_and_audit_events(services: Container) -> None:
    uid = _create(services)
    ok = services.staff.login(services.db, " Aigerim.DPO ", PASSWORD)
    assert ok.user is not None
    assert ok.user.id == uid
    assert ok.cookie is not None
    assert ok.expires_at is not None
    assert "cookie" not in repr(ok)
    assert ok.cookie not in repr(ok)

    wrong = services.staff.login(services.db, "aigerim.dpo", PASSWORD + "!")
    assert (wrong.user, wrong.cookie, wrong.reason) == (None, None, "wrong_password")
    unknown = services.staff.login(services.db, "nobody.here", PASSWORD)
    assert (unknown.user, unknown.reason) == (None, "unknown_user")
    # A password typed into the username field: refused, never recorded.
    typo = services.staff.login(services.db, "my secret pass!", PASSWORD)
    assert typo.reason == "invalid"

    events = _logins(services)
    assert [(e["outcome"], e.get("reason")) for e in events] == [
        ("success", None),
        ("failure", "wrong_password"),
        ("failure", "unknown_user"),
        ("failure", "invalid"),
    ]
    assert events[0]["user"] == uid
    assert events[0]["actor"] == f"staff:{uid}"
    assert events[1]["user"] == uid
    assert "user" not in events[2]
    assert events[2]["actor"] == "staff:unknown"
    for e in events:
        raw = str(e["raw"])
        assert PASSWORD not in raw
        assert "aigerim" not in raw.lower()
        assert "nobody" not in raw
        assert "secret" not in raw
    assert services.verify_audit().ok


def test_unknown_username_costs_the_same_argon2_work(services: Container) -> None:
    _create(services)

    def timed(name: str) -> float:
        started = time.perf_counter()
        services.staff.login(services.db, name, "not the password at all")
        return time.perf_counter() - started

    timed("warm.up")
    known = [timed("aigerim.dpo") for _ in range(5)]
    unknown = [timed(f"ghost{i}") for i in range(5)]
    # argon2 dominates both (tens of ms); without the dummy hash unknown would be ~0.
    assert statistics.median(unknown) > 0.5 * statistics.median(known)


def test_disabled_user_cannot_log_in_and_loses_sessions(services: Container) -> None:
    _create(services, "operator.one", "operator")
    first = services.staff.login(services.db, "operator.one", PASSWORD)
    assert first.user is not None
    with services.db.unit_of_work() as conn:
        user = services.staff.disable_user(conn, "operator.one")
    assert user.disabled_at is not None
    with services.db.engine.connect() as conn:
        assert services.staff.session_user(conn, first.cookie) is None
    again = services.staff.login(services.db, "operator.one", PASSWORD)
    assert (again.user, again.reason) == (None, "disabled")
    assert _logins(services)[-1]["reason"] == "disabled"


def test_session_expiry_signature_and_logout_revocation(services: Container) -> None:
    uid = _create(services)
    with services.db.engine.connect() as conn:
        user = services.staff.get_user(conn, uid)
    assert user is not None
    long_ago = datetime.now(UTC) - timedelta(hours=9)
    with services.db.unit_of_work() as conn:
        stale, stale_expiry = services.staff.open_session(conn, user, now=long_ago)
        fresh, _ = services.staff.open_session(conn, user)
    assert stale_expiry < datetime.now(UTC)
    with services.db.engine.connect() as conn:
        assert services.staff.session_user(conn, stale) is None  # expired (8 h)
        me = services.staff.session_user(conn, fresh)
        assert me is not None
        assert me.id == uid
        # A forged or altered cookie is refused before any lookup.
        token, _, mac = fresh.partition(".")
        assert services.staff.session_user(conn, f"{token}.{mac[:-2]}xx") is None
        assert services.staff.session_user(conn, f"{token[:-2]}xx.{mac}") is None
        assert services.staff.session_user(conn, token) is None
        assert services.staff.session_user(conn, None) is None
        # Only the token's SHA-256 is stored, never the token.
        ids = [r[0] for r in conn.execute(select(staff_session.c.id))]
    assert all(token not in i for i in ids)
    with services.db.unit_of_work() as conn:
        assert services.staff.revoke(conn, fresh)
        assert not services.staff.revoke(conn, fresh)
    with services.db.engine.connect() as conn:
        assert services.staff.session_user(conn, fresh) is None
        revoked = conn.execute(
            select(staff_session.c.revoked_at).where(staff_session.c.revoked_at.is_not(None))
        ).all()
    assert len(revoked) == 1
