"""Background jobs, each an idempotent batch in its own unit of work (DESIGN: scale-out).

``qorgau worker`` runs them in a loop; ``qorgau worker --once`` runs each once (cron).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from qorgau.container import Container
from qorgau.security import actors
from qorgau.transfers.dispatch import Dispatcher
from qorgau.transfers.notices import send_due

log = logging.getLogger("qorgau.worker")

WORKER = actors.WORKER


@dataclass(frozen=True)
class Job:
    name: str
    run: Callable[[Container], int]


def _expire_consents(services: Container) -> int:
    with services.db.unit_of_work() as conn:
        return services.ledger.expire_due(conn, WORKER)


def _checkpoint(services: Container) -> int:
    return 0 if services.checkpoint(if_moved=True) is None else 1


def _purge_visits(services: Container) -> int:
    """Web user data past its short retention (policy 5.1)."""
    with services.db.unit_of_work() as conn:
        return services.tracking.purge_visits(conn)


def _purge_challenges(services: Container) -> int:
    """Expired and used one-time-code challenges."""
    with services.db.unit_of_work() as conn:
        return services.intake.purge_challenges(conn)


def _watch_requests(services: Container) -> int:
    """Mark requests due within one working day, and overdue ones (LAW.md Art. 25)."""
    with services.db.unit_of_work() as conn:
        return services.requests.watch(conn, WORKER)


def _expire_unverified(services: Container) -> int:
    """Requests never verified within a day are refused ("identity not verified")."""
    with services.db.unit_of_work() as conn:
        return services.requests.expire_unverified(conn, WORKER)


def dispatcher(services: Container, **kw: Any) -> Dispatcher:
    """The webhook dispatcher over these services, with the configured attempts and timeout."""
    s = services.settings
    options: dict[str, Any] = {
        "max_attempts": s.delivery_max_attempts,
        "timeout": s.delivery_timeout,
        "actor": actors.DISPATCHER,
        **kw,
    }
    return Dispatcher(
        db=services.db,
        gate=services.gate,
        registry=services.registry,
        rule=services.transfer_rule,
        ledger=services.ledger,
        audit=services.audit,
        **options,
    )


def _deliver(services: Container) -> int:
    """Webhook deliveries due now, batch after batch until none is left (at most 20 batches
    per round); rows handled (delivered, failed or dead-lettered)."""
    with dispatcher(services) as d:
        return d.run(max_batches=20)


def _notify(services: Container) -> int:
    """Tell people of transfers of their data, earliest deadline first (LAW.md Art. 19)."""
    op = services.settings.operator
    with services.db.unit_of_work() as conn:
        done = send_due(
            conn, services.notices, services.transfers, services.gate, services.notifier,
            operator=op.name, site=op.site,
        )  # fmt: skip
    return done.sent + done.unreachable


def _retention(services: Container) -> int:
    """A retention sweep at most once per ``QORGAU_RETENTION_INTERVAL_HOURS`` (default 24)."""
    with services.db.engine.connect() as conn:
        runs = services.retention.runs(conn)
    interval = timedelta(hours=services.settings.retention_interval_hours)
    if runs and datetime.fromisoformat(runs[0]["as_of"]) > datetime.now(UTC) - interval:
        return 0
    act = services.retention.run(services.db, WORKER, datetime.now(UTC))
    return int(act["subjects_destroyed"])


JOBS: list[Job] = [
    Job("retention.sweep", _retention),
    Job("requests.unverified", _expire_unverified),
    Job("requests.watch", _watch_requests),
    Job("consent.expire", _expire_consents),
    Job("transfers.deliver", _deliver),
    Job("transfers.notify", _notify),
    Job("tracking.purge", _purge_visits),
    Job("otp.purge", _purge_challenges),
    Job("audit.checkpoint", _checkpoint),
]


def run_once(services: Container, jobs: list[Job] | None = None) -> dict[str, int]:
    """Run every job once; returns how many items each handled (counts, no personal data)."""
    done: dict[str, int] = {}
    for job in jobs or JOBS:
        done[job.name] = job.run(services)
    return done


def run_forever(services: Container, interval: float) -> None:
    while True:
        for name, n in run_once(services).items():
            if n:
                log.info("job %s handled %d", name, n)
        time.sleep(interval)
