"""The deadline watch: the queue staff work from, the marks of requests due soon or overdue,
and compliance per kind (answered on time, late and by how many working days). Pure over
the rows the service reads."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal

from qorgau.dsr.model import Status, is_open
from qorgau.dsr.store import DeadlineRow, RequestRow
from qorgau.dsr.views import RequestView
from qorgau.errors import DomainError
from qorgau.law.calendar import WorkingCalendar
from qorgau.law.deadlines import Action, Term, Unit

#: The farthest ``due_within_days`` a queue may look ahead (a year of working days is more
#: than any legal term; an unbounded one made the calendar walk for seconds).
MAX_HORIZON_DAYS = 366


class InvalidHorizon(DomainError):
    code = "invalid-horizon"

    def __init__(self, days: int) -> None:
        super().__init__(f"due_within_days must be 0-{MAX_HORIZON_DAYS}, not {days}")


def days(n: int) -> Term:
    """``n`` working days, as a term the calendar counts."""
    return Term(Action.ACCESS, n, Unit.WORKING_DAYS, "deadline watch")


def check_horizon(due_within_days: int | None) -> None:
    if due_within_days is not None and not 0 <= due_within_days <= MAX_HORIZON_DAYS:
        raise InvalidHorizon(due_within_days)


def queue(
    views: Iterable[RequestView],
    cal: WorkingCalendar,
    now: datetime,
    *,
    due_within_days: int | None,
    open_only: bool,
) -> list[RequestView]:
    """The requests to show, overdue first, then due soon, then by deadline (the console's
    order); ``views`` come in deadline order."""
    rows = list(views)
    if open_only:
        rows = [r for r in rows if is_open(Status(r.status))]
    if due_within_days is not None:
        horizon = cal.due(now, days(due_within_days)) if due_within_days > 0 else now
        rows = [r for r in rows if r.due_at <= horizon]
    return sorted(rows, key=lambda r: (not r.overdue, not r.due_soon, r.due_at))


def mark(r: DeadlineRow, now: datetime, soon: datetime) -> Literal["overdue", "due_soon"] | None:
    """The mark an open request gets now (each once): overdue past its deadline, due soon
    within ``soon``; None for a closed one or one already marked."""
    if not is_open(Status(r.status)):
        return None
    if r.due_at < now and r.overdue_at is None:
        return "overdue"
    if r.due_at <= soon and r.due_soon_at is None and r.due_at >= now:
        return "due_soon"
    return None


def compliance(
    rows: Iterable[RequestRow], cal: WorkingCalendar, now: datetime, law_profile: str
) -> dict[str, Any]:
    """Requests per kind: answered on time, late and by how many working days."""
    out: dict[str, dict[str, Any]] = {}
    for r in rows:
        k = out.setdefault(
            r.kind,
            {
                "total": 0,
                "open": 0,
                "on_time": 0,
                "late": 0,
                "max_late_working_days": 0,
                "open_overdue": 0,
            },
        )
        k["total"] += 1
        due = r.due_at
        refused = r.status == Status.REFUSED.value
        done = r.answered_at or (r.closed_at if refused else None)
        if refused and done is None:
            done = r.closed_at or now
        if done is None:
            k["open"] += 1
            if due < now:
                k["open_overdue"] += 1
            continue
        if done <= due:
            k["on_time"] += 1
        else:
            k["late"] += 1
            k["max_late_working_days"] = max(
                k["max_late_working_days"], cal.working_days_between(due, done)
            )
    total = {"total": sum(v["total"] for v in out.values())}
    return {"by_kind": out, **total, "law_profile": law_profile}
