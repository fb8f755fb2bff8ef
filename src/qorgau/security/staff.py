"""Staff users of the console: argon2id passwords and server-side sessions (policy 7.3.8).

A staff user has a username, a role of the access matrix (admin, dpo, operator, analyst)
and a password stored only as an argon2id hash (``argon2-cffi``, RFC 9106 defaults).
Logging in verifies the password against the stored hash, or against a dummy hash when the
username is unknown, so the answer time does not tell whether a username exists; a disabled
user's password is verified too before the refusal. Every attempt that reaches the password
check is an audit event ``login`` naming the outcome, the reason and the user id when known;
never the username typed (a mistyped password often lands in it) nor the password.

A session is a random 256-bit token in a signed cookie (HMAC under a key derived from the
site secret, so a forged cookie is rejected without a database read). The server keeps only
the token's HMAC-SHA256 (under the same key, another label) as the session id, with its
expiry and revocation time, so a copy of the database does not hold live sessions, a row
written into it opens none (issue 13), and logging out (or disabling the user) revokes them.
"""

from __future__ import annotations

import base64
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.audit.rows import RowChanges, inserted
from qorgau.db import Database
from qorgau.errors import DomainError
from qorgau.security import store


class StaffRole(StrEnum):
    ADMIN = "admin"
    DPO = "dpo"
    OPERATOR = "operator"
    ANALYST = "analyst"


USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{2,63}")
MIN_PASSWORD = 12
#: Longer input is refused before hashing (argon2 of megabytes is a cheap DoS).
MAX_PASSWORD = 1024
SESSION_TTL = timedelta(hours=8)


class InvalidStaffUser(DomainError):
    code = "invalid-staff-user"


class StaffUserExists(DomainError):
    code = "staff-user-exists"
    kind = "conflict"
    title = "Conflict"

    def __init__(self) -> None:
        super().__init__("a staff user with this username already exists")


class StaffUserNotFound(DomainError):
    code = "staff-user-not-found"
    kind = "not_found"
    title = "Not found"

    def __init__(self) -> None:
        super().__init__("no staff user with this username")


@dataclass(frozen=True, slots=True)
class StaffUser:
    id: str
    username: str
    role: str
    created_at: datetime
    disabled_at: datetime | None

    @property
    def actor_id(self) -> str:
        """The id staff actions are recorded under (``Actor(role, actor_id)``)."""
        return f"staff:{self.id}"


@dataclass(frozen=True, slots=True)
class LoginResult:
    """``user`` and the session cookie ``cookie`` on success; ``reason`` on failure
    (``unknown_user``, ``wrong_password``, ``disabled``, ``invalid``)."""

    user: StaffUser | None
    cookie: str | None = None
    expires_at: datetime | None = None
    reason: str | None = None

    def __repr__(self) -> str:  # the cookie is a credential: never in a log line
        return f"LoginResult(user={self.user!r}, reason={self.reason!r})"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def normalise_username(raw: str) -> str:
    """Lower-cased and stripped; raises InvalidStaffUser unless 3-64 of ``a-z 0-9 . _ -``."""
    name = raw.strip().lower()
    if not USERNAME.fullmatch(name):
        raise InvalidStaffUser(
            "a username is 3-64 characters: letters a-z, digits, '.', '_' or '-'"
        )
    return name


def _user(row: store.UserRow) -> StaffUser:
    return StaffUser(row.id, row.username, row.role, row.created_at, row.disabled_at)


class StaffService:
    def __init__(
        self,
        *,
        audit: AuditLog,
        secret: bytes,
        session_ttl: timedelta = SESSION_TTL,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self.audit = audit
        self.session_ttl = session_ttl
        self._key = secret
        self._hasher = hasher or PasswordHasher()  # argon2id, RFC 9106 low-memory profile
        self._dummy_hash: str | None = None

    @property
    def _dummy(self) -> str:
        """Verified against when the username is unknown: the same work as a real check
        (made on first use, so building the services costs no hashing)."""
        if self._dummy_hash is None:
            self._dummy_hash = self._hasher.hash(secrets.token_urlsafe(24))
        return self._dummy_hash

    # -- users --------------------------------------------------------------------------

    def create_user(
        self,
        conn: Connection,
        username: str,
        password: str,
        role: str,
        *,
        now: datetime | None = None,
    ) -> StaffUser:
        name = normalise_username(username)
        if role not in set(StaffRole):
            raise InvalidStaffUser(f"unknown role '{role}'; roles: {', '.join(StaffRole)}")
        if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
            raise InvalidStaffUser(
                f"a password is {MIN_PASSWORD} to {MAX_PASSWORD} characters long"
            )
        if store.user_by_username(conn, name) is not None:
            raise StaffUserExists()
        user = StaffUser(secrets.token_hex(8), name, role, now or datetime.now(UTC), None)
        row = store.insert_user(
            conn, user.id, user.username, self._hasher.hash(password), user.role, user.created_at
        )
        self.audit.append(
            conn,
            Event(
                "staff.create",
                "cli:staff",
                detail={"user": user.id, "role": role, "rows": inserted(row)},
                at=user.created_at,
            ),
        )
        return user

    def disable_user(
        self, conn: Connection, username: str, *, now: datetime | None = None
    ) -> StaffUser:
        """Disable a user and revoke every open session of theirs at once."""
        now = now or datetime.now(UTC)
        row = store.user_by_username(conn, normalise_username(username))
        if row is None:
            raise StaffUserNotFound()
        user = _user(row)
        which = store.staff_user.c.id == user.id
        before = store.STAFF_USER_ROWS.digests(conn, which, lock=True)
        store.set_disabled(conn, user.id, now)
        store.revoke_sessions_of(conn, user.id, now)
        rows = store.STAFF_USER_ROWS.changes(conn, before, which)
        self.audit.append(
            conn,
            Event("staff.disable", "cli:staff", detail={"user": user.id, "rows": rows}, at=now),
        )
        return StaffUser(user.id, user.username, user.role, user.created_at, now)

    def users(self, conn: Connection) -> list[StaffUser]:
        return [_user(r) for r in store.users(conn)]

    def get_user(self, conn: Connection, user_id: str) -> StaffUser | None:
        row = store.user_by_id(conn, user_id)
        return None if row is None else _user(row)

    # -- login --------------------------------------------------------------------------

    def login(
        self,
        db: Database,
        username: str,
        password: str,
        *,
        client: str = "console",
        now: datetime | None = None,
    ) -> LoginResult:
        """Check the password (argon2id, outside any transaction: it takes tens of ms of
        CPU) and, on success, open a session. Every outcome is an audit event ``login``."""
        now = now or datetime.now(UTC)
        try:
            name = normalise_username(username)
        except InvalidStaffUser:
            name = None
        row = None
        if name is not None and len(password) <= MAX_PASSWORD:
            with db.engine.connect() as conn:
                row = store.user_by_username(conn, name)
        user = _user(row) if row is not None else None
        stored = str(row.password_hash) if row is not None else self._dummy
        good = self._verify(stored, password[:MAX_PASSWORD])
        if user is None:
            reason: str | None = "unknown_user" if name is not None else "invalid"
        elif not good:
            reason = "wrong_password"
        elif user.disabled_at is not None:
            reason = "disabled"
        else:
            reason = None
        with db.unit_of_work() as conn:
            rows: RowChanges = {}
            if user is not None and reason is None and self._hasher.check_needs_rehash(stored):
                which = store.staff_user.c.id == user.id
                before = store.STAFF_USER_ROWS.digests(conn, which, lock=True)
                store.set_password_hash(conn, user.id, self._hasher.hash(password))
                rows = store.STAFF_USER_ROWS.changes(conn, before, which)
            self._audit(conn, user, reason, client, now, rows)
            if reason is not None:
                return LoginResult(None, reason=reason)
            assert user is not None
            cookie, expires = self.open_session(conn, user, now=now)
        return LoginResult(user, cookie, expires)

    def _verify(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False

    def _audit(
        self,
        conn: Connection,
        user: StaffUser | None,
        reason: str | None,
        client: str,
        at: datetime,
        rows: RowChanges,
    ) -> None:
        detail: dict[str, object] = {
            "outcome": "success" if reason is None else "failure",
            "client": client,
        }
        if reason is not None:
            detail["reason"] = reason
        if user is not None:
            detail["user"] = user.id
            detail["role"] = user.role
        if rows:  # the password re-hashed under newer parameters
            detail["rows"] = rows
        actor = user.actor_id if user is not None else "staff:unknown"
        self.audit.append(conn, Event("login", actor, detail=detail, at=at))

    # -- sessions -----------------------------------------------------------------------

    def open_session(
        self, conn: Connection, user: StaffUser, *, now: datetime | None = None
    ) -> tuple[str, datetime]:
        """A new session: returns the signed cookie value and its expiry."""
        now = now or datetime.now(UTC)
        token = secrets.token_urlsafe(32)
        expires = now + self.session_ttl
        store.insert_session(conn, self._session_id(token), user.id, now, expires)
        return f"{token}.{self._mac(token)}", expires

    def session_user(
        self, conn: Connection, cookie: str | None, *, now: datetime | None = None
    ) -> StaffUser | None:
        """The user of a live session (signed, not expired, not revoked, user enabled)."""
        token = self._token(cookie)
        if token is None:
            return None
        now = now or datetime.now(UTC)
        session = store.session_by_id(conn, self._session_id(token))
        if session is None:
            return None
        if session.revoked_at is not None or session.expires_at <= now:
            return None
        user = _user(session.user)
        return user if user.disabled_at is None else None

    def revoke(self, conn: Connection, cookie: str | None, *, now: datetime | None = None) -> bool:
        """Log out: the session can no longer be used, even with a copy of the cookie."""
        token = self._token(cookie)
        if token is None:
            return False
        changed = store.revoke_session(conn, self._session_id(token), now or datetime.now(UTC))
        if changed:
            self.audit.append(
                conn, Event("logout", "staff", detail={"session": self._session_id(token)[:16]})
            )
        return bool(changed)

    # -- internals ----------------------------------------------------------------------

    def _mac(self, token: str) -> str:
        return _b64(hmac.digest(self._key, f"staff-session\x00{token}".encode(), "sha256"))

    def _token(self, cookie: str | None) -> str | None:
        if not cookie or len(cookie) > 200:
            return None
        token, _, mac = cookie.partition(".")
        if not token or not hmac.compare_digest(mac, self._mac(token)):
            return None
        return token

    def _session_id(self, token: str) -> str:
        # Keyed (issue 13): a row inserted by someone who can write to the database but
        # holds no key matches no cookie, even one whose signature they somehow had.
        return hmac.digest(self._key, f"staff-session-id\x00{token}".encode(), "sha256").hex()
