"""Bulk import of subjects from CSV or JSON Lines (CLI ``qorgau import``).

Rows are validated one by one (a bad row is refused with its row number and a reason code,
never its content); accepted rows are stored in batches, each batch one transaction with its
audit events and the import's progress, so an import killed at any point resumes where its
last committed batch ended and never stores a row twice. The job's table and queries are
``importer/store.py``'s.
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import IntegrityError

from qorgau.audit.model import Event
from qorgau.catalog import (
    FieldNotAllowed,
    InvalidValue,
    SpecialCategoryFound,
    UnknownField,
)
from qorgau.db import Database
from qorgau.errors import DomainError
from qorgau.importer import store
from qorgau.security.actors import Actor
from qorgau.vault import sources
from qorgau.vault.gate import Gate, Prepared


@dataclass
class Summary:
    rows: int = 0
    accepted: int = 0
    skipped: int = 0  # already committed by an earlier, interrupted run
    refused: list[tuple[int, str]] = field(default_factory=list)

    def as_dict(self) -> dict[str, object]:
        return {
            "rows": self.rows,
            "accepted": self.accepted,
            "resumed_after": self.skipped,
            "refused": [{"row": r, "reason": c} for r, c in self.refused],
        }


def read_rows(path: Path, fmt: str | None = None) -> Iterator[dict[str, str]]:
    """Rows as {field code: text}; CSV columns and JSON keys are catalogue codes."""
    kind = fmt or ("jsonl" if path.suffix.lower() in {".jsonl", ".ndjson", ".json"} else "csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        if kind == "csv":
            for rec in csv.DictReader(fh):
                yield {k.strip(): (v or "") for k, v in rec.items() if k}
        else:
            for line in fh:
                if not line.strip():
                    continue
                try:
                    doc = json.loads(line)
                except json.JSONDecodeError:
                    yield {"\x00malformed": ""}
                    continue
                if not isinstance(doc, dict):
                    yield {"\x00malformed": ""}
                    continue
                yield {str(k): "" if v is None else str(v) for k, v in doc.items()}


class ImportInProgress(DomainError):
    code = "import-in-progress"
    kind = "conflict"
    title = "Conflict"

    def __init__(self) -> None:
        super().__init__(
            "another run of this import is in progress; run it again afterwards to resume"
        )


def _open_job(db: Database, jid: str) -> tuple[int, int]:
    """The job's committed progress (rows done, accepted), creating the job if new."""
    with db.unit_of_work() as conn:
        found = store.progress(conn, jid)
    if found is not None:
        return found.rows_done, found.accepted
    try:
        with db.unit_of_work() as conn:
            store.insert_job(conn, jid, datetime.now(UTC))
        return 0, 0
    except IntegrityError:  # another run created it a moment ago
        with db.unit_of_work() as conn:
            found = store.progress(conn, jid)
        if found is None:
            raise
        return found.rows_done, found.accepted


def job_id(path: Path, purpose: str, category: str) -> str:
    h = hashlib.sha256(f"{purpose}|{category}|".encode())
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def reason_of(exc: Exception) -> str:
    if isinstance(exc, InvalidValue):
        return exc.code
    if isinstance(exc, SpecialCategoryFound):
        return "special_category." + "+".join(exc.categories)
    if isinstance(exc, FieldNotAllowed):
        return "field.not_allowed"
    if isinstance(exc, UnknownField):
        return "field.unknown"
    return "row.invalid"


def run_import(
    db: Database,
    gate: Gate,
    actor: Actor,
    path: Path,
    *,
    purpose: str,
    category: str,
    source: str | None = None,
    batch_size: int = 2000,
    fmt: str | None = None,
    on_batch: Callable[[int, int], None] | None = None,
) -> Summary:
    jid = job_id(path, purpose, category)
    # Every value's typed source (policy 4.2.2): the one given (a public source, a
    # partner), else this import job.
    source = sources.require(source) if source else sources.typed("import", jid[:16])
    required = gate.catalogue.subject_category(category).source
    sources.check_category(category, required, source)
    done, accepted_before = _open_job(db, jid)
    summary = Summary(skipped=done, accepted=accepted_before)
    batch: list[Prepared] = []
    n = 0
    last = done

    def flush(through: int) -> None:
        nonlocal last
        with db.unit_of_work() as conn:
            if batch:
                gate.collect_many(conn, actor, batch)
            # Optimistic: the job must still be where this run left it, or another run of
            # the same import is going on; then this batch rolls back.
            if not store.advance(
                conn, jid, was=last, rows_done=through, accepted=summary.accepted + len(batch)
            ):
                raise ImportInProgress()
        summary.accepted += len(batch)
        last = through
        batch.clear()
        if on_batch is not None:
            on_batch(through, summary.accepted)

    for n, rec in enumerate(read_rows(path, fmt), start=1):
        if n <= done:
            continue
        summary.rows = n
        if "\x00malformed" in rec:
            summary.refused.append((n, "row.malformed"))
            continue
        try:
            batch.append(gate.prepare(category, purpose, rec, source))
        except (InvalidValue, SpecialCategoryFound, FieldNotAllowed, UnknownField) as exc:
            summary.refused.append((n, reason_of(exc)))
        if len(batch) >= batch_size:
            flush(n)
    summary.rows = max(n, done)
    if n > last:
        flush(n)
    with db.unit_of_work() as conn:
        store.finish(conn, jid, datetime.now(UTC))
        gate.audit.append(
            conn,
            Event(
                "import",
                actor.id,
                purpose=purpose,
                detail={
                    "job": jid[:16],
                    "rows": summary.rows,
                    "accepted": summary.accepted,
                    "refused": len(summary.refused),
                },
            ),
        )
    return summary
