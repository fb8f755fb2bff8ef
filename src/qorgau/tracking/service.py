"""Cookie choices and visits: record, look up, purge (policy 5.1; retention, policy 4.1).

A choice is never updated: a changed choice is a new row with a new id, so each row stays
the proof of what was allowed, when, under which policy version. Visits are recorded only
for a choice that allows analytics, and deleted ``cookie_retention_days`` after they
happened (:meth:`TrackingService.purge_visits`).
"""

from __future__ import annotations

import secrets
import threading
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection

from qorgau.tracking import store
from qorgau.tracking.model import CHOICE_ID, Client, CookieChoice, Landing, ip_digest

_PURGE_EVERY = 3600.0


class TrackingService:
    def __init__(self, ip_key: bytes, retention_days: int) -> None:
        self._ip_key = ip_key
        self.retention_days = retention_days
        # Choices are immutable rows: a small cache saves a query per page view.
        self._cache: dict[str, CookieChoice] = {}
        self._lock = threading.Lock()
        self._next_purge = 0.0

    def record_choice(
        self,
        conn: Connection,
        analytics: bool,
        marketing: bool,
        policy_version: str | None,
        at: datetime | None = None,
    ) -> CookieChoice:
        choice = CookieChoice(
            id=secrets.token_hex(16),
            analytics=analytics,
            marketing=marketing,
            policy_version=policy_version,
            at=at or datetime.now(UTC),
        )
        store.insert_choice(
            conn, choice.id, choice.analytics, choice.marketing, choice.policy_version, choice.at
        )
        return choice

    def get_choice(self, conn: Connection, choice_id: str) -> CookieChoice | None:
        if not CHOICE_ID.fullmatch(choice_id):
            return None
        cached = self._cache.get(choice_id)
        if cached is not None:
            return cached
        row = store.choice_by_id(conn, choice_id)
        if row is None:
            return None
        choice = CookieChoice(choice_id, row.analytics, row.marketing, row.policy_version, row.at)
        with self._lock:
            if len(self._cache) > 50_000:
                self._cache.clear()
            self._cache[choice_id] = choice
        return choice

    def record_visit(
        self,
        conn: Connection,
        choice: CookieChoice,
        page: str,
        client: Client,
        landing: Landing,
        ip: str | None,
        at: datetime | None = None,
    ) -> bool:
        """Record a page view, only if the choice allows analytics (policy 5.1)."""
        if not choice.analytics:
            return False
        now = at or datetime.now(UTC)
        store.insert_visit(
            conn,
            choice_id=choice.id,
            at=now,
            page=page[:40],
            os_family=client.os_family,
            browser_family=client.browser_family,
            device_type=client.device_type,
            referrer_host=landing.referrer_host,
            utm_source=landing.utm_source,
            language=client.language,
            ip_hmac=ip_digest(self._ip_key, now.date(), ip) if ip else None,
        )
        self._maybe_purge(conn, now)
        return True

    def landing(self, conn: Connection, choice_id: str) -> Landing | None:
        """Where the visitor of this choice came from: its earliest visit with a referrer
        or an advertising source (None if there is none, or analytics was refused)."""
        return store.first_landing(conn, choice_id)

    def purge_visits(self, conn: Connection, now: datetime | None = None) -> int:
        """Delete visits older than ``cookie_retention_days``; returns how many."""
        cutoff = (now or datetime.now(UTC)) - timedelta(days=self.retention_days)
        return store.delete_visits_before(conn, cutoff)

    def _maybe_purge(self, conn: Connection, now: datetime) -> None:
        # Retention runs beside the writes it bounds, at most hourly per process, so a
        # server that records visits also deletes them on time without a separate worker.
        tick = time.monotonic()
        if tick < self._next_purge:
            return
        self._next_purge = tick + _PURGE_EVERY
        self.purge_visits(conn, now)
