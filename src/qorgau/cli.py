"""The root command: init, run, check, demo, worker, import, catalogue, keys, audit; and every
context's command group (requests, retention, law, policy, staff, stats, recipients), each
in its context's ``cli.py``.

Errors print a plain message (never a personal value) and exit non-zero.
"""

from __future__ import annotations

import json
import os
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from qorgau.audit.anchor import AnchorFile, HeadMarks, InvalidAnchor
from qorgau.audit.model import Event
from qorgau.checks.cli import check, preflight
from qorgau.clikit import Builder, err, open_container, out
from qorgau.clikit import fail as _fail
from qorgau.config import Settings
from qorgau.container import (
    Container,
    build_container,
    pinned_public_key,
    verify_with,
    witness_verifiers,
)
from qorgau.crypto.signer import InvalidPublicKey
from qorgau.db import Database
from qorgau.db_roles import RoleError, app_role_name, grant_app_role
from qorgau.dsr.cli import requests_app
from qorgau.errors import DomainError
from qorgau.law.cli import law_app
from qorgau.policy.cli import policy_app
from qorgau.retention.cli import retention_app
from qorgau.security import actors
from qorgau.security.actors import Actor
from qorgau.security.staff_cli import staff_app
from qorgau.stats.cli import stats_app
from qorgau.transfers.cli import recipients_app
from qorgau.witness.cli import witness_app

# Never print local variables in a traceback: they may hold personal values.
app = typer.Typer(
    help="qorgau: personal-data processing management",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
keys_app = typer.Typer(help="API keys and key-encryption keys", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log", no_args_is_help=True)
db_app = typer.Typer(help="The database's roles (PostgreSQL)", no_args_is_help=True)


@app.callback()
def _root(ctx: typer.Context) -> None:
    """qorgau: personal-data processing management"""
    # Every command takes the container through the context (qorgau.clikit.services).
    ctx.obj = Builder(build_container)


app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
app.add_typer(db_app, name="db")
app.add_typer(requests_app, name="requests")
app.add_typer(staff_app, name="staff")
app.add_typer(stats_app, name="stats")
app.add_typer(recipients_app, name="recipients")
app.add_typer(retention_app, name="retention")
app.add_typer(law_app, name="law")
app.add_typer(policy_app, name="policy")
app.add_typer(witness_app, name="witness")
app.command("check")(check)


def _services(settings: Settings | None = None) -> Container:
    return open_container(build_container, settings)


def _settings() -> Settings:
    return Settings()


#: The roles an API key may carry: people's (staff) roles, and a partner's.
KEY_ROLES = frozenset({"admin", "dpo", "operator", "analyst", "partner"})


def _actor(name: str) -> Actor:
    """Every command acts as the ``cli`` role, recorded with the OS user."""
    return actors.cli(name)


@app.command()
def init() -> None:
    """Create var/ (database, keyring 0600, audit signing key) and the schema."""
    from qorgau.bootstrap import initialise

    s = _settings()
    try:
        created = initialise(s)
    except RoleError as exc:
        raise _fail(str(exc)) from exc
    for line in created:
        out.print(line, markup=False)


@db_app.command("grant")
def db_grant(
    role: Annotated[
        str | None, typer.Option(help="the application's role (default: QORGAU_DATABASE_URL's)")
    ] = None,
) -> None:
    """As the owner (QORGAU_OWNER_DATABASE_URL), give the application's role exactly its
    privilege map again, revoking anything beyond it (``init`` does this after migrating)."""
    s = _settings()
    owner_url = s.resolved_owner_database_url
    if role is None and s.owner_database_url is None:
        raise _fail("QORGAU_OWNER_DATABASE_URL is not set: the application is the owner")
    db = Database(owner_url)
    try:
        if db.dialect != "postgresql":
            raise _fail("database roles are a PostgreSQL matter")
        with db.unit_of_work() as conn:
            granted = grant_app_role(conn, role or app_role_name(s.resolved_database_url))
    except RoleError as exc:
        raise _fail(str(exc)) from exc
    finally:
        db.dispose()
    for line in granted.lines():
        out.print(line, markup=False)


@app.command()
def run(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
    production: Annotated[
        bool, typer.Option(help="refuse to start while `qorgau check` fails")
    ] = False,
) -> None:
    """Serve the API (/api/v1, docs at /docs) and the status page. The checks of `qorgau
    check` run first: failures are warnings, or with --production a refusal to start."""
    import uvicorn

    s = _settings()
    if not s.keyring_path.exists():
        raise _fail(f"{s.home} is not initialised: run `qorgau init`")
    preflight(s, build_container, production=production)
    out.print(f"qorgau on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")
    # X-Forwarded-For / -Proto are believed only from the configured proxies: uvicorn's
    # default trusts any local process, which could then pick the address a rate limit
    # counts (issue 11).
    trusted = [p.strip() for p in s.trusted_proxies.split(",") if p.strip()]
    uvicorn.run(
        "qorgau.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
    )


@app.command()
def demo(
    count: Annotated[int, typer.Option(help="fictional subjects to create")] = 300,
    seed: Annotated[int, typer.Option(help="random seed")] = 2026,
    force: Annotated[bool, typer.Option(help="add even if subjects exist")] = False,
) -> None:
    """Load fictional demo subjects (generated names, valid-checksum IINs, +7 7xx phones)."""

    from qorgau.demo.partners import demo_recipients
    from qorgau.demo.people import generate_people
    from qorgau.vault.store.subjects import status_counts

    svc = _services()
    with svc.db.engine.connect() as conn:
        existing = sum(status_counts(conn).values())
    if existing and not force:
        out.print(f"{existing} subjects already present; demo data not loaded (use --force)")
        return
    actor = _actor("demo")
    items = [
        svc.gate.prepare("potential_borrower", "contract", rec, "subject:demo")
        for rec in generate_people(count, seed)
    ]
    with svc.db.unit_of_work() as conn:
        svc.gate.collect_many(conn, actor, items)
        registered = [
            svc.registry.register(conn, actor, r)
            for r in demo_recipients(svc.settings.partners, datetime.now(UTC).date())
        ]
    svc.checkpoint()
    out.print(f"loaded {len(items)} fictional subjects and {len(registered)} recipients")


@app.command()
def worker(
    once: Annotated[bool, typer.Option(help="run every job once and exit")] = False,
    interval: Annotated[float, typer.Option(help="seconds between rounds")] = 30.0,
) -> None:
    """Run the background jobs (consent expiry, audit checkpoints, ...)."""
    from qorgau.worker import run_forever, run_once

    svc = _services()
    if once:
        for name, n in run_once(svc).items():
            out.print(f"{name}: {n}")
        return
    run_forever(svc, interval)


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True)],
    purpose: Annotated[str, typer.Option(help="purpose code, e.g. contract")],
    category: Annotated[str, typer.Option(help="subject category code")],
    source: Annotated[
        str | None,
        typer.Option(
            help="typed source of every value: public_source:<reference>, partner:<code>, "
            "staff:<id>, subject[:<how>]; default import:<job id>"
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=100_000)] = 2000,
    fmt: Annotated[str | None, typer.Option("--format", help="csv or jsonl")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the summary as JSON")] = False,
) -> None:
    """Import subjects from CSV or JSON Lines (columns are catalogue codes).

    Prints accepted and refused counts with row numbers and reason codes (never values).
    Exits 0 when the file was processed, even with refused rows. An interrupted import
    resumes after its last committed batch when run again.
    """
    from qorgau.catalog import UnknownPurpose, UnknownSubjectCategory
    from qorgau.importer import run_import

    svc = _services()
    try:
        svc.catalogue.purpose(purpose)
        svc.catalogue.subject_category(category)
    except (UnknownPurpose, UnknownSubjectCategory) as exc:
        raise _fail(str(exc), 2) from exc
    total = sum(1 for _ in file.open("rb"))
    progress = Progress(
        TextColumn("importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=as_json or not err.is_terminal,
    )

    def acked(through: int, accepted: int) -> None:
        # An acknowledged batch is committed: a crash after this line loses nothing.
        print(f"ack rows<={through} accepted={accepted}", file=sys.stderr, flush=True)
        progress.update(task, completed=through)

    with progress:
        task = progress.add_task("import", total=total)
        try:
            summary = run_import(
                svc.db,
                svc.gate,
                _actor("import"),
                file,
                purpose=purpose,
                category=category,
                source=source,
                batch_size=batch_size,
                fmt=fmt,
                on_batch=acked,
            )
        except DomainError as exc:
            raise _fail(str(exc), 2) from exc
    svc.checkpoint()
    if as_json:
        print(json.dumps(summary.as_dict()))
        return
    out.print(
        f"rows: {summary.rows}  accepted: {summary.accepted}  refused: {len(summary.refused)}"
    )
    if summary.skipped:
        out.print(f"resumed after row {summary.skipped} (committed by an earlier run)")
    for row, reason in summary.refused[:200]:
        out.print(f"  row {row}: {reason}", markup=False)
    if len(summary.refused) > 200:
        out.print(f"  ... and {len(summary.refused) - 200} more (use --json for all)")


@app.command()
def catalogue() -> None:
    """Print the catalogue (purposes, data and subject categories) as Markdown."""
    from qorgau.catalog import Catalogue
    from qorgau.catalog.document import catalogue_markdown

    cat = Catalogue.default().with_retention(_settings().retention_days)
    print(catalogue_markdown(cat), end="")


@keys_app.command("create")
def keys_create(
    role: Annotated[
        str, typer.Option(help="admin, dpo, operator, analyst, or partner (with --recipient)")
    ],
    name: Annotated[str, typer.Option(help="who or what uses the key")] = "api",
    recipient: Annotated[
        str | None,
        typer.Option(help="bind the key to a recipient: it reaches only the partner API"),
    ] = None,
) -> None:
    """Create an API key for a role; the key is printed once and stored only hashed."""
    svc = _services()
    # People's roles and partners only: the system's own roles are never handed out as keys.
    roles = sorted(r for r in svc.access.roles if r in KEY_ROLES)
    if role not in roles:
        raise _fail(f"unknown role '{role}'; roles: {', '.join(roles)}", 2)
    if (role == "partner") != (recipient is not None):
        raise _fail("a partner key needs --recipient, and --recipient needs --role partner", 2)
    with svc.db.unit_of_work() as conn:
        if recipient is not None:
            try:
                svc.registry.recipient(conn, recipient)
            except DomainError as exc:
                raise _fail(str(exc), 2) from exc
        key, token = svc.api_keys.create_key(
            conn, role, name, recipient, actor=_actor("keys").id
        )  # audited by the service, with the row's digest
    bound = f" bound to recipient {recipient}" if recipient else ""
    err.print(f"API key {key.id} for role {role}{bound} (shown once; store it safely):")
    print(token)


@keys_app.command("list")
def keys_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every API key: id, role, name, recipient, created, revoked (never a token), and
    whether it needs re-issue (a legacy unkeyed digest, issued before issue 13)."""
    svc = _services()
    with svc.db.engine.connect() as conn:
        keys = svc.api_keys.list_keys(conn)
    if as_json:
        doc = [
            {
                "id": k.id, "role": k.role, "name": k.name, "recipient": k.recipient,
                "created_at": k.created_at.isoformat(),
                "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
                "reissue": k.reissue,
            }
            for k in keys
        ]  # fmt: skip
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    for k in keys:
        state = f"revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "active"
        bound = f" recipient={k.recipient}" if k.recipient else ""
        reissue = "  [needs re-issue: legacy digest]" if k.reissue else ""
        out.print(
            f"{k.id}  {k.role:<8} {state:<24} {k.created_at:%Y-%m-%d}  {k.name}{bound}{reissue}",
            markup=False,
        )


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="the key's id (keys list)")]) -> None:
    """Revoke an API key: every server process refuses it from its next request on."""
    svc = _services()
    try:
        with svc.db.unit_of_work() as conn:
            changed = svc.api_keys.revoke_key(conn, key_id, actor=_actor("keys").id)
    except DomainError as exc:
        raise _fail(str(exc), 1) from exc
    out.print(f"API key {key_id} " + ("revoked" if changed else "was already revoked"))


@keys_app.command("rotate")
def keys_rotate(
    batch_size: Annotated[int, typer.Option(min=1)] = 2000,
    keep_old: Annotated[bool, typer.Option(help="keep the old KEKs in the keyring")] = False,
) -> None:
    """New key-encryption key; re-wrap every data key and webhook secret (values are not
    re-encrypted); the old KEKs retire once no transaction can still use them."""
    from qorgau.keyrotation import rotate

    svc = _services()
    done = rotate(svc, _actor("keys").id, batch_size=batch_size, keep_old=keep_old)
    extra = f"; revoked subjects skipped: {done.skipped_revoked}" if done.skipped_revoked else ""
    out.print(
        f"active key-encryption key: {done.active}; data keys re-wrapped: {done.moved}; "
        f"webhook secrets: {done.secrets}{extra}"
    )


def _anchored(settings: Settings) -> bytes | None:
    return AnchorFile(settings.anchor_path).last()


@audit_app.command("verify")
def audit_verify(
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Re-walk chains, checkpoints and vault state with the pinned public key; exit 1 naming
    the first bad event. Needs no key when the public key is pinned (an auditor's copy)."""
    settings = _settings()
    try:
        pinned = pinned_public_key(settings)
    except InvalidPublicKey as exc:
        raise _fail(str(exc), 2) from exc
    try:
        AnchorFile(settings.anchor_path).last()
    except InvalidAnchor as exc:
        raise _fail(str(exc)) from exc
    t0 = time.perf_counter()
    if not settings.keyring_path.exists() and pinned is not None:
        # Verify only: the database and the public key, nothing that could sign.
        db = Database(settings.resolved_database_url)
        try:
            report = verify_with(
                db,
                pinned,
                anchored=_anchored(settings),
                marks=HeadMarks(settings.heads_path).newest(),
                witnesses=witness_verifiers(settings),
            )
        finally:
            db.dispose()
        svc = None
    else:
        svc = _services(settings)
        if pinned is None:
            err.print(
                "warning: no pinned audit public key (QORGAU_AUDIT_PUBLIC_KEY or "
                "audit-signing.pub): checked with the signing key's own",
                markup=False,
            )
        report = svc.verify_audit()
    took = time.perf_counter() - t0
    if report.ok and svc is not None:
        with svc.db.unit_of_work() as conn:
            event = Event("audit.verify", _actor("audit").id, detail={"events": report.events})
            svc.audit.append(conn, event)
    doc = {
        "ok": report.ok,
        "events": report.events,
        "partitions": report.partitions,
        "checkpoints": report.checkpoints,
        "subjects": report.subjects,
        "covered": report.covered,
        "cosigned": report.cosigned,
        "mac_checked": report.mac_checked,
        "not_checkpointed": report.not_checkpointed,
        "seconds": round(took, 3),
        "first_problem": str(report.first) if report.first else None,
        "warnings": report.warnings,
    }
    if as_json:
        print(json.dumps(doc))
    elif report.ok:
        out.print(
            f"audit log intact: {report.events} events in {report.partitions} partitions, "
            f"{report.checkpoints} signed checkpoints, {report.subjects} subjects reconciled; "
            f"{report.covered} events under signed tree heads ({report.cosigned} cosigned), "
            f"{report.mac_checked} after them checked with the MAC key"
        )
    for warning in report.warnings if not as_json else ():
        err.print(f"warning: {warning}", markup=False)
    if not report.ok:
        err.print(f"AUDIT LOG BROKEN: {report.first}", markup=False)
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("prove")
def audit_prove(
    event_id: Annotated[int | None, typer.Argument(help="an audit event's id")] = None,
    subject: Annotated[str | None, typer.Option(help="every event about this subject id")] = None,
) -> None:
    """Print the proof bundle (JSON) of an event, or of every event about a subject, against
    its partition's newest signed tree head: a third party checks it with the public key
    alone (`qorgau audit verifier`)."""
    from qorgau.audit.proofs import NoProof, prove_event, prove_subject

    settings = _settings()
    public = pinned_public_key(settings)
    if public is None or (event_id is None) == (subject is None):
        raise _fail("give an event id or --subject, and pin the public key (run init)", 2)
    db = Database(settings.resolved_database_url)
    try:
        with db.engine.connect() as conn:
            if subject is not None:
                print(json.dumps(prove_subject(conn, subject, public_key=public), indent=1))
                return
            assert event_id is not None
            print(json.dumps(prove_event(conn, event_id, public_key=public), indent=1))
    except NoProof as exc:
        raise _fail(f"no proof yet: {exc}", 1) from exc
    finally:
        db.dispose()


@audit_app.command("verifier")
def audit_verifier() -> None:
    """Print the single-file proof checker (Python and `cryptography` only)."""
    from qorgau.audit import proofcheck

    sys.stdout.write(Path(proofcheck.__file__).read_text(encoding="utf-8"))


@audit_app.command("log-key")
def audit_log_key() -> None:
    """Print the log's C2SP verifier key (name = the log's origin) for checkers and
    witnesses."""
    from qorgau.audit.checkpoint import note_verifier

    settings = _settings()
    public = pinned_public_key(settings)
    if public is None:
        raise _fail("no audit public key: run `qorgau init`", 2)
    print(note_verifier(public, settings.log_origin).to_vkey())


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the heads of all partitions now."""

    from qorgau.audit.checkpoint import AuditTampered

    svc = _services()
    try:
        cid = svc.checkpoint()
    except AuditTampered as exc:
        raise _fail(f"checkpoint refused: {exc}", 1) from exc
    out.print(f"checkpoint {cid} signed")


def main() -> None:
    # Files this process creates (the database, its journal, outbox) hold personal data or
    # secrets: readable by the owner only.
    os.umask(0o077)
    try:
        app()
    except DomainError as exc:
        err.print(f"error: {exc}", markup=False, highlight=False)
        sys.exit(2)


if __name__ == "__main__":
    main()
