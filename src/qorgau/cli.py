"""Command line: init, run, demo, import, keys create|rotate, audit verify|checkpoint,
recipients list|add|rotate-secret.

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

from qorgau.audit.model import Event
from qorgau.clikit import Builder, err, open_container, out
from qorgau.clikit import fail as _fail
from qorgau.config import Settings
from qorgau.container import Container, build_container
from qorgau.errors import DomainError
from qorgau.security import actors
from qorgau.security.actors import Actor
from qorgau.security.staff_cli import staff_app
from qorgau.stats.cli import stats_app
from qorgau.transfers.cli import recipients_app

# Never print local variables in a traceback: they may hold personal values.
app = typer.Typer(
    help="qorgau: personal-data processing management",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)
keys_app = typer.Typer(help="API keys and key-encryption keys", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit log", no_args_is_help=True)


@app.callback()
def _root(ctx: typer.Context) -> None:
    """qorgau: personal-data processing management"""
    # Every command takes the container through the context (qorgau.clikit.services).
    ctx.obj = Builder(build_container)


app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")
policy_app = typer.Typer(help="The published personal-data policy", no_args_is_help=True)
requests_app = typer.Typer(help="Data-subject requests", no_args_is_help=True)
app.add_typer(requests_app, name="requests")
app.add_typer(staff_app, name="staff")
app.add_typer(stats_app, name="stats")
app.add_typer(recipients_app, name="recipients")
retention_app = typer.Typer(help="Retention: plan and run sweeps", no_args_is_help=True)
app.add_typer(retention_app, name="retention")
law_app = typer.Typer(help="Law profiles: deadlines in working days", no_args_is_help=True)
app.add_typer(law_app, name="law")
app.add_typer(policy_app, name="policy")


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
    created = initialise(s)
    for line in created:
        out.print(line, markup=False)


@app.command()
def run(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port")] = 8000,
    workers: Annotated[int, typer.Option(help="worker processes")] = 1,
) -> None:
    """Serve the API (/api/v1, docs at /docs) and the status page."""
    import uvicorn

    s = _settings()
    if not s.keyring_path.exists():
        raise _fail(f"{s.home} is not initialised: run `qorgau init`")
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
    from sqlalchemy import func, select

    from qorgau.demo.partners import demo_recipients
    from qorgau.demo.people import generate_people
    from qorgau.vault.store import subject

    svc = _services()
    with svc.db.engine.connect() as conn:
        existing = conn.execute(select(func.count()).select_from(subject)).scalar_one()
    if existing and not force:
        out.print(f"{existing} subjects already present; demo data not loaded (use --force)")
        return
    actor = _actor("demo")
    items = [
        svc.gate.prepare("potential_borrower", "contract", rec, "demo")
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
    source: Annotated[str, typer.Option(help="source recorded with each value")] = "import",
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


@requests_app.command("list")
def requests_list(
    due_within_days: Annotated[
        int | None, typer.Option(min=0, max=366, help="only those due within N working days")
    ] = None,
    include_closed: Annotated[bool, typer.Option(help="answered, refused, closed too")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Open requests with their deadlines, overdue and due soon first (no personal data)."""
    svc = _services()
    with svc.db.engine.connect() as conn:
        views = svc.requests.queue(
            conn, due_within_days=due_within_days, open_only=not include_closed
        )
    rows = [
        {
            "id": v.id,
            "reference": v.reference,
            "kind": v.kind,
            "channel": v.channel,
            "status": v.status,
            "received_at": v.received_at.isoformat(),
            "due_at": v.due_at.isoformat(),
            "due_soon": v.due_soon,
            "overdue": v.overdue,
        }
        for v in views
    ]
    if as_json:
        print(json.dumps({"data": rows, "count": len(rows)}))
        return
    if not rows:
        out.print("no requests")
    for r in rows:
        flag = "OVERDUE " if r["overdue"] else ("due soon " if r["due_soon"] else "")
        out.print(f"{r['reference']}  {r['kind']:<16} {r['status']:<11} due {r['due_at']}  {flag}")


def _utc_if_naive(dt: datetime) -> datetime:
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _as_of(value: str | None, allow_future: bool) -> datetime:
    from qorgau.law.calendar import parse_received

    if value is None:
        return datetime.now(UTC)
    try:
        moment = (
            parse_received(value) if "T" in value else _utc_if_naive(datetime.fromisoformat(value))
        )
    except ValueError as exc:
        raise _fail(str(exc), 2) from exc
    if moment > datetime.now(UTC) and not allow_future:
        raise _fail("--as-of is in the future: add --allow-future to destroy ahead of time", 2)
    return moment


@retention_app.command("plan")
def retention_plan(
    as_of: Annotated[str | None, typer.Option(help="ISO date or datetime; default now")] = None,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """What a run would do: counts per data category and action (no personal data)."""
    svc = _services()
    moment = _as_of(as_of, allow_future=True)  # a plan changes nothing: any moment
    with svc.db.unit_of_work() as conn:
        plan = svc.retention.plan(conn, moment)
    doc = plan.as_dict()
    if as_json:
        print(json.dumps(doc))
        return
    out.print(
        f"as of {doc['as_of']}: {doc['subjects_seen']} subjects; destroy "
        f"{doc['subjects_to_destroy']} whole, values of {doc['subjects_with_values_due']} more"
    )
    for row in doc["by_category"]:
        out.print(f"  {row['category']:<24} {row['action']:<28} {row['values']}")


@retention_app.command("run")
def retention_run(
    as_of: Annotated[str | None, typer.Option(help="ISO date or datetime; default now")] = None,
    allow_future: Annotated[bool, typer.Option(help="allow an --as-of in the future")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Destroy or depersonalise what no purpose justifies; prints the destruction act."""
    svc = _services()
    moment = _as_of(as_of, allow_future)
    act = svc.retention.run(svc.db, _actor("retention"), moment)
    svc.checkpoint()
    if as_json:
        print(json.dumps(act))
        return
    out.print(
        f"run {act['run']}: {act['subjects_destroyed']} subjects destroyed; "
        f"subjects hash {act['subjects_hash']}"
    )
    for action, cats in act["categories"].items():
        for cat, n in sorted(cats.items()):
            out.print(f"  {action:<28} {cat:<24} {n}")


@law_app.command("deadline")
def law_deadline(
    action: Annotated[
        str, typer.Option(help="access, refuse, rectify, block, unblock, destroy, ...")
    ],
    received: Annotated[str, typer.Option(help="ISO datetime with a time zone")],
    profile_code: Annotated[str, typer.Option("--profile", help="kz_94v or ru_152fz")] = "kz_94v",
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """The due moment of an action under a law profile, in the operator's time zone
    (working days on the country's calendar plus the operator's overrides)."""
    from qorgau.law.calendar import describe_deadline, parse_overrides, parse_received

    s = _settings()
    try:
        overrides = parse_overrides(s.calendar_days_off, s.calendar_working_days)
        when = parse_received(received)
        doc = describe_deadline(profile_code, action, when, overrides)
    except (ValueError, KeyError) as exc:
        raise _fail(str(exc), 2) from exc
    if as_json:
        print(json.dumps(doc, ensure_ascii=False))
    else:
        print(doc["due"])


@policy_app.command("publish")
def policy_publish(
    text: Annotated[
        list[str] | None,
        typer.Option(help="LANG=FILE: the operator's own text for a language (kk, ru, en)"),
    ] = None,
    note: Annotated[str | None, typer.Option(help="a note on what changed")] = None,
) -> None:
    """Publish a new policy version: rendered from the live configuration per language,
    unless a file is given for it. Earlier versions stay available by id."""
    svc = _services()
    own: dict[str, str] = {}
    for item in text or []:
        lang, sep, path = item.partition("=")
        if not sep or not path:
            raise _fail(f"--text wants LANG=FILE, got '{item}'", 2)
        try:
            own[lang.strip()] = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise _fail(f"cannot read {path}: {exc.strerror}", 2) from exc
    with svc.db.unit_of_work() as conn:
        version = svc.policy.publish(conn, _actor("policy"), own, note)
    out.print(f"published policy {version.id}")
    for lang, t in version.texts.items():
        out.print(f"  {lang}: {t.source}, sha256 {t.hash}")


@policy_app.command("show")
def policy_show(
    lang: Annotated[str, typer.Option(help="kk, ru or en")] = "ru",
    version: Annotated[str | None, typer.Option(help="version id; default: current")] = None,
) -> None:
    """Print a published version's text (default: the current one)."""
    svc = _services()
    with svc.db.engine.connect() as conn:
        v = svc.policy.get(conn, version) if version else svc.policy.current(conn)
    if v is None:
        raise _fail("no policy published yet: run `qorgau policy publish`")
    t = v.texts.get(lang)
    if t is None:
        raise _fail(f"version {v.id} has no text in '{lang}'", 2)
    print(t.body, end="")


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
    from qorgau.security.apikeys import create_key

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
        key, token = create_key(conn, role, name, recipient)
        detail: dict[str, str] = {"key": key.id, "role": role}
        if recipient is not None:
            detail["recipient"] = recipient
        svc.audit.append(conn, Event("key.create", _actor("keys").id, detail=detail))
    bound = f" bound to recipient {recipient}" if recipient else ""
    err.print(f"API key {key.id} for role {role}{bound} (shown once; store it safely):")
    print(token)


@keys_app.command("list")
def keys_list(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Every API key: id, role, name, recipient, created, revoked (never a token)."""
    from qorgau.security.apikeys import list_keys

    svc = _services()
    with svc.db.engine.connect() as conn:
        keys = list_keys(conn)
    if as_json:
        doc = [
            {
                "id": k.id, "role": k.role, "name": k.name, "recipient": k.recipient,
                "created_at": k.created_at.isoformat(),
                "revoked_at": k.revoked_at.isoformat() if k.revoked_at else None,
            }
            for k in keys
        ]  # fmt: skip
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return
    for k in keys:
        state = f"revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "active"
        bound = f" recipient={k.recipient}" if k.recipient else ""
        out.print(
            f"{k.id}  {k.role:<8} {state:<24} {k.created_at:%Y-%m-%d}  {k.name}{bound}",
            markup=False,
        )


@keys_app.command("revoke")
def keys_revoke(key_id: Annotated[str, typer.Argument(help="the key's id (keys list)")]) -> None:
    """Revoke an API key: every server process refuses it from its next request on."""
    from qorgau.security.apikeys import revoke_key

    svc = _services()
    try:
        with svc.db.unit_of_work() as conn:
            changed = revoke_key(conn, key_id)
            if changed:
                svc.audit.append(
                    conn, Event("key.revoke", _actor("keys").id, detail={"key": key_id})
                )
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


@audit_app.command("verify")
def audit_verify(
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Re-walk chains, checkpoints and vault state; exit 1 naming the first bad event."""

    svc = _services()
    t0 = time.perf_counter()
    report = svc.verify_audit()
    took = time.perf_counter() - t0
    if report.ok:
        with svc.db.unit_of_work() as conn:
            event = Event("audit.verify", _actor("audit").id, detail={"events": report.events})
            svc.audit.append(conn, event)
    doc = {
        "ok": report.ok,
        "events": report.events,
        "partitions": report.partitions,
        "checkpoints": report.checkpoints,
        "subjects": report.subjects,
        "seconds": round(took, 3),
        "first_problem": str(report.first) if report.first else None,
    }
    if as_json:
        print(json.dumps(doc))
    elif report.ok:
        out.print(
            f"audit log intact: {report.events} events in {report.partitions} partitions, "
            f"{report.checkpoints} signed checkpoints, {report.subjects} subjects reconciled"
        )
    else:
        err.print(f"AUDIT LOG BROKEN: {report.first}", markup=False)
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("checkpoint")
def audit_checkpoint() -> None:
    """Sign the heads of all partitions now."""

    svc = _services()
    cid = svc.checkpoint()
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
