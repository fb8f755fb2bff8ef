"""The statistics service: record depersonalised facts, report k-anonymously, export to
third parties with a record of recipient, report and time (policy 2.1 P4, 4.1, 6.2, 7.3.8;
appendix: depersonalisation; LAW.md Art. 17 p.1).

It is also the retention engine's fact sink (``fields``, ``build``, ``record``): the gate
decrypts ``fields`` of a subject due for destruction and hands them to ``build``, whose
:class:`~qorgau.stats.model.Fact` is recorded in the same unit of work as the destruction.
"""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

import orjson
from sqlalchemy import Connection

from qorgau.audit.log import AuditLog
from qorgau.audit.model import Event
from qorgau.errors import DomainError
from qorgau.security.access import AccessPolicy
from qorgau.security.actors import Actor
from qorgau.stats import store
from qorgau.stats.export import report_csv, report_json
from qorgau.stats.facts import Fact, depersonalise
from qorgau.stats.model import ATTRIBUTES, DEFAULT_K, SOURCE_FIELDS, parse_by, validate_k
from qorgau.stats.suppression import Cell, Report, suppress
from qorgau.vault.model import PurposeNotPermitted

PURPOSE = "statistics"
Format = Literal["csv", "json"]
FORMATS: tuple[str, ...] = ("csv", "json")


class InvalidExport(DomainError):
    """An export was asked for with a malformed recipient or an unknown format."""

    code = "stats-invalid-export"


@dataclass(frozen=True, slots=True)
class ExportRecord:
    id: int
    at: datetime
    actor: str
    recipient: str
    by: tuple[str, ...]
    k: int
    format: str
    rows: int
    digest: str


def _recipient(raw: str) -> str:
    text = " ".join(unicodedata.normalize("NFC", raw).split())
    if not 1 <= len(text) <= 200 or any(unicodedata.category(ch) == "Cc" for ch in text):
        raise InvalidExport("a recipient is 1 to 200 printable characters")
    return text


class StatsService:
    """Facts in, k-anonymous reports out. ``k`` is the operator's k: the default and the
    floor of every report (a request may ask for a larger k, never a smaller one)."""

    #: The fields the gate decrypts for :meth:`build` (retention's fact sink), and the
    #: purpose they were collected under (a loan request).
    fields: tuple[str, ...] = SOURCE_FIELDS
    purpose: str = "contract"

    def __init__(self, audit: AuditLog, *, k: int = DEFAULT_K) -> None:
        self.audit = audit
        self.k = validate_k(k)

    # -- facts --------------------------------------------------------------------------

    def build(self, values: Mapping[str, str], category: str, collected_at: datetime) -> Fact:
        """Depersonalise one subject's values (see :func:`~qorgau.stats.model.depersonalise`)."""
        return depersonalise(values, category, collected_at)

    def record(
        self, conn: Connection, facts: Sequence[Fact], *, actor: str = "system:statistics"
    ) -> int:
        """Insert ``facts`` in random order with random ids, and audit one
        ``depersonalise`` event with their count and no subject id (policy 7.3.8)."""
        if not facts:
            return 0
        rows = [
            {
                "id": secrets.randbits(63),
                "month": f.month,
                "region": f.region,
                "age_band": f.age_band,
                "sex": f.sex,
                "amount_band": f.amount_band,
                "outcome": f.outcome,
                "subject_category": f.subject_category,
                "amount_kzt": f.amount_kzt,
            }
            for f in facts
        ]
        # Row order in a heap page follows insertion: shuffle so that a batch's order does
        # not follow the order in which its subjects were destroyed.
        secrets.SystemRandom().shuffle(rows)
        store.insert_facts(conn, rows)
        self.audit.append(
            conn, Event("depersonalise", actor, purpose=PURPOSE, detail={"facts": len(rows)})
        )
        return len(rows)

    def count(self, conn: Connection) -> int:
        return store.fact_count(conn)

    # -- reports ------------------------------------------------------------------------

    def require(self, conn: Connection, actor: Actor, access: AccessPolicy) -> None:
        """Refuse (and audit the refusal) unless the actor's role may use the statistics
        purpose (policy 2.1 P4; security/access.py: analyst, dpo, admin)."""
        if access.may_use(actor.role, PURPOSE):
            return
        exc = PurposeNotPermitted(actor.role, PURPOSE)
        self.audit.append(
            conn,
            Event(
                "refuse",
                actor.id,
                purpose=PURPOSE,
                detail={"role": actor.role, "op": "statistics", "code": exc.code},
            ),
        )
        raise exc

    def cells(self, conn: Connection, by: Sequence[str]) -> dict[tuple[str, ...], Cell]:
        """Counts and amount sums per combination of ``by`` (SQL GROUP BY), unsuppressed:
        never hand these out, only :meth:`report`."""
        names = parse_by(by)
        rows = store.cells(conn, [name for name in names if name in ATTRIBUTES])
        return {r.key: Cell(r.count, r.amount) for r in rows}

    def report(self, conn: Connection, by: Sequence[str] | str, k: int | None = None) -> Report:
        """A k-anonymous report grouped by one or two attributes (policy 2.1 P4)."""
        names = parse_by(by)
        k = self.k if k is None else validate_k(k, self.k)
        return suppress(self.cells(conn, names), k, by=names)

    @staticmethod
    def to_csv(report: Report) -> str:
        return report_csv(report)

    @staticmethod
    def to_json(report: Report) -> dict[str, Any]:
        return report_json(report)

    # -- exports to third parties -------------------------------------------------------

    def export(
        self,
        conn: Connection,
        actor: Actor,
        recipient: str,
        by: Sequence[str] | str,
        k: int | None,
        fmt: str,
    ) -> tuple[str, int]:
        """Build a report for ``recipient`` and record the export (time, actor, recipient,
        report, line count, SHA-256 of the content) with an ``export`` audit event
        (policy 2.1 P4: statistical reports for third parties; 7.3.8)."""
        if fmt not in FORMATS:
            raise InvalidExport(f"format must be one of {', '.join(FORMATS)}")
        name = _recipient(recipient)
        report = self.report(conn, by, k)
        if fmt == "csv":
            content = report_csv(report)
        else:
            content = orjson.dumps(report_json(report), option=orjson.OPT_INDENT_2).decode()
        digest = hashlib.sha256(content.encode()).digest()
        rows = sum(1 for _ in report.entries())
        spec = {"by": list(report.by), "format": fmt, "k": report.k}
        spec_json = orjson.dumps(spec, option=orjson.OPT_SORT_KEYS).decode()
        at = datetime.now(UTC)
        export_id = store.insert_export(conn, at, actor.id, name, spec_json, rows, digest)
        # The event binds the stored record (recipient included) by digest, so an edited
        # stat_export row no longer matches its audit event.
        record = orjson.dumps(
            [export_id, at.isoformat(), actor.id, name, spec_json, rows, digest.hex()]
        )
        self.audit.append(
            conn,
            Event(
                "export",
                actor.id,
                purpose=PURPOSE,
                detail={
                    "export": export_id,
                    "by": list(report.by),
                    "k": report.k,
                    "format": fmt,
                    "rows": rows,
                    "digest": digest.hex(),
                    "record": hashlib.sha256(record).hexdigest(),
                },
                at=at,
            ),
        )
        return content, export_id

    def exports(self, conn: Connection, limit: int = 100) -> list[ExportRecord]:
        """The latest exports first."""
        out: list[ExportRecord] = []
        for r in store.latest_exports(conn, max(1, min(limit, 1000))):
            spec = orjson.loads(r.spec)
            out.append(
                ExportRecord(
                    id=r.id,
                    at=r.at,
                    actor=r.actor,
                    recipient=r.recipient,
                    by=tuple(spec["by"]),
                    k=int(spec["k"]),
                    format=str(spec["format"]),
                    rows=r.rows,
                    digest=r.digest.hex(),
                )
            )
        return out
