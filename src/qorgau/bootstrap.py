"""``qorgau init``: var/ with the database, keyring (0600) and audit signing key; once after
an upgrade, the one-time steps the migrations cannot do (they need keys or the audit log):
the security rows' baseline and the legacy API keys' tags."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, select

from qorgau.audit.anchor import HeadMarks
from qorgau.audit.log import AuditLog
from qorgau.audit.mac import MacKey
from qorgau.audit.model import Event
from qorgau.audit.store import audit_event
from qorgau.config import Settings
from qorgau.crypto.keyring import LocalKeyring
from qorgau.crypto.signer import Signer, public_key_text
from qorgau.db import Database
from qorgau.db_roles import app_role_name, grant_app_role
from qorgau.migrate import upgrade

if TYPE_CHECKING:
    from qorgau.container import Container


def initialise(settings: Settings) -> list[str]:
    """Idempotent: creates what is missing and migrates the schema to head (as the owner:
    ``owner_database_url``), then grants the application's role on PostgreSQL."""
    done: list[str] = []
    home = settings.home
    if not home.exists():
        home.mkdir(parents=True, mode=0o700)
        done.append(f"created {home}")
    if not settings.keyring_path.exists():
        LocalKeyring.create(settings.keyring_path)
        done.append(f"created keyring {settings.keyring_path} (mode 0600)")
    if not settings.signing_key_path.exists():
        Signer.create(settings.signing_key_path)
        done.append(f"created audit signing key {settings.signing_key_path} (mode 0600)")
    if not settings.mac_key_path.exists():
        MacKey.create(settings.mac_key_path)
        done.append(f"created audit MAC key {settings.mac_key_path} (mode 0600)")
    if not settings.public_key_path.exists():
        # The public half, for `audit verify` (pin it in QORGAU_AUDIT_PUBLIC_KEY elsewhere:
        # a copy in var/ rolls back with var/).
        raw = Signer.load(settings.signing_key_path).public_raw
        settings.public_key_path.write_text(public_key_text(raw) + "\n", encoding="ascii")
        done.append(f"wrote the audit public key {settings.public_key_path}")
    db = Database(settings.resolved_owner_database_url)
    try:
        upgrade(db.engine)
        with db.unit_of_work() as conn:
            if AuditLog.partition_count(conn) == 0:
                AuditLog.initialise(conn, settings.audit_partitions)
                audit = AuditLog(
                    settings.audit_partitions,
                    MacKey.load(settings.mac_key_path),
                    marks=HeadMarks(settings.heads_path),
                )
                audit.append(
                    conn,
                    Event(
                        "init",
                        f"cli:init:{os.environ.get('USER', 'operator')}",
                        detail={"partitions": settings.audit_partitions},
                    ),
                )
                done.append(f"initialised audit log ({settings.audit_partitions} partitions)")
        done.append(f"database ready ({db.dialect})")
        done.extend(_least_privilege(settings, db))
    finally:
        db.dispose()
    done.extend(_after_migrations(settings))
    return done


def _least_privilege(settings: Settings, owner: Database) -> list[str]:
    """The application's role gets exactly the privilege map (``qorgau.db_roles``), when it
    is not the owner's; a single PostgreSQL role is only warned about."""
    if owner.dialect != "postgresql":
        return []
    app_url = settings.resolved_database_url
    if settings.resolved_owner_database_url == app_url:
        return [
            "warning: the application connects as the owner of the tables (it could disable "
            "the audit triggers): set QORGAU_OWNER_DATABASE_URL and give QORGAU_DATABASE_URL "
            "a role of its own (docs/operations.md, PostgreSQL roles)"
        ]
    with owner.unit_of_work() as conn:
        granted = grant_app_role(conn, app_role_name(app_url))
    return granted.lines()


def legacy_tag_marker(settings: Settings) -> Path:
    """Beside the keyring, outside the database: its presence says the legacy API keys
    were tagged once (issue 13), so that a legacy row inserted later is never tagged."""
    return settings.keyring_path.parent / "api-keys-legacy-tagged"


def reseal_marker(settings: Settings) -> Path:
    """Beside the keyring, outside the database: its presence says every value written
    before migration 0013 was re-sealed (issue 13), so that a legacy record put back later
    is never sealed."""
    return settings.keyring_path.parent / "values-resealed"


def rows_baseline_marker(settings: Settings) -> Path:
    """Beside the keyring, outside the database: its presence says the security rows that
    existed before their changes were audited were recorded once (``rows.baseline``)."""
    return settings.keyring_path.parent / "security-rows-baselined"


#: Rows per ``rows.baseline`` event (a body of about 1.3 MB).
BASELINE_CHUNK = 10_000


def _baseline_rows(services: Container, conn: Connection, actor: str) -> int | None:
    """Record the digests of every security row as it is now, once (issue 13): rows from
    before their changes were audited then verify, and from then on every change must be
    audited. None when it was done already (here, or from another home: the audit log
    records it).

    Residual window, as for the legacy keys: a row an insider changes between the upgrade
    and this first run (normally the same ``qorgau init``) is recorded as it is. The
    marker is written before the transaction commits; should the commit fail, verify names
    the rows as unaudited (run ``init`` again after removing the marker)."""
    from qorgau.audit.rows import BASELINE, inserted
    from qorgau.container import SECURITY_ROWS

    marker = rows_baseline_marker(services.settings)
    if marker.exists():
        return None
    if _logged(conn, BASELINE):
        marker.write_text("security rows baselined from another home\n", encoding="utf-8")
        return None
    entries = [entry for spec in SECURITY_ROWS for entry in spec(conn)]
    # One event even with no rows: the log records that the baseline was taken.
    for start in range(0, max(len(entries), 1), BASELINE_CHUNK):
        chunk = entries[start : start + BASELINE_CHUNK]
        services.audit.append(conn, Event(BASELINE, actor, detail={"rows": inserted(*chunk)}))
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(f"security rows baselined: {len(entries)}\n", encoding="utf-8")
    return len(entries)


def _after_migrations(settings: Settings) -> list[str]:
    """Re-seal the values written before migration 0013 (once: the migration cannot read
    the keyring); record the security rows as they are (once: ``rows.baseline``), then tag
    the legacy API keys (once, right after 0011, likewise); publish policy v1 from the live
    configuration, so the site has one from the start."""
    from qorgau.container import build_container
    from qorgau.security import actors
    from qorgau.vault.reseal import reseal_once

    services = build_container(settings)
    done: list[str] = []
    try:
        resealed = reseal_once(
            services.db, services.gate.keys, services.audit, reseal_marker(settings),
            actors.cli("init").id,
        )  # fmt: skip
        if resealed is not None:
            done.extend(resealed.lines())
        with services.db.unit_of_work() as conn:
            # First: the tagging below is an audited change of rows the baseline records.
            baselined = _baseline_rows(services, conn, actors.cli("init").id)
            marker = legacy_tag_marker(settings)
            if not marker.exists() and _logged(conn, "key.legacy-tag"):
                # Another home (sharing this database and site secret) tagged them already.
                marker.write_text("legacy API keys tagged from another home\n", encoding="utf-8")
            tagged = services.api_keys.tag_legacy_once(conn, marker, actor=actors.cli("init").id)
        if baselined:
            done.append(f"recorded {baselined} security row(s) in the audit log (baseline)")
        if tagged:
            done.append(f"tagged {tagged} legacy API key(s): they work until re-issued")
        with services.db.unit_of_work() as conn:
            if services.policy.current_id(conn) is not None:
                return done
            actor = actors.cli("init")
            version = services.policy.publish(conn, actor, note="first publication")
        return [*done, f"published policy {version.id}"]
    finally:
        services.close()


def _logged(conn: Connection, action: str) -> bool:
    """Whether the audit log records this one-time action already (the legacy tagging, the
    baseline). An insider could delete that event only by breaking ``audit verify``; one
    added would only have the legacy keys refused, or the unrecorded rows named."""
    found = conn.execute(
        select(audit_event.c.id).where(audit_event.c.action == action).limit(1)
    ).first()
    return found is not None
