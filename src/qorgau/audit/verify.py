"""Re-walk the chains, checkpoints and vault state; name the first broken event (DESIGN 3).

Detects, behind the system's back: an edited event (hash), a deleted or reordered event
(sequence and hash), a truncated partition (head and signed checkpoints), an edited or
forged checkpoint (Ed25519 signature and the link to the previous checkpoint), an edited,
deleted or inserted vault row (each state-changing event records a digest of the subject's
stored state; the reconciler recomputes it from the vault tables), and a destroyed subject
whose key is back (the key provider's revocation file names it, the database holds its key).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import orjson
from sqlalchemy import Connection

from qorgau.audit import store
from qorgau.crypto.signer import verify_signature
from qorgau.db import GENESIS

#: Yields (subject_id, digest of its stored state) for every subject row in the vault.
Reconciler = Callable[[Connection], Iterable[tuple[str, bytes]]]
#: Subjects the key provider's revocation file names that still hold a wrapped data key
#: (a restored copy of the database, or rows put back): each is a problem.
Revocations = Callable[[Connection], Iterable[str]]


@dataclass
class Problem:
    reason: str
    event_id: int | None = None
    part: int | None = None
    seq: int | None = None
    subject_id: str | None = None

    def __str__(self) -> str:
        where = []
        if self.event_id is not None:
            where.append(f"event {self.event_id}")
        if self.part is not None:
            where.append(f"partition {self.part} seq {self.seq}")
        if self.subject_id is not None:
            where.append(f"subject {self.subject_id}")
        return f"{self.reason} ({', '.join(where)})" if where else self.reason


@dataclass
class VerifyReport:
    events: int = 0
    partitions: int = 0
    checkpoints: int = 0
    subjects: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None


def verify(
    conn: Connection,
    public_key: bytes,
    reconciler: Reconciler | None = None,
    revocations: Revocations | None = None,
    *,
    anchored: bytes | None = None,
) -> VerifyReport:
    """``anchored``: the newest checkpoint signature of the anchor file, which the
    database's checkpoints must include (none missing, no older copy restored)."""
    report = VerifyReport()
    signatures: set[bytes] = set()
    expected = _checkpoints(conn, public_key, report, signatures)
    if anchored is not None and not report.problems and anchored not in signatures:
        report.problems.append(
            Problem(
                "the database does not extend the anchored checkpoint: checkpoints are "
                f"missing or an older copy was restored ({report.checkpoints} in the database)"
            )
        )
    heads = {h.part: (h.seq, h.hash) for h in store.heads(conn)}
    report.partitions = len(heads)
    states: dict[str | None, bytes] = {}
    _walk(conn, heads, expected, states, report)
    if reconciler is not None and not report.problems:
        _reconcile(conn, reconciler, states, report)
    if revocations is not None:
        for sid in revocations(conn):
            report.problems.append(
                Problem("the revocation file names a subject that still has a key", subject_id=sid)
            )
            break
    return report


def _checkpoints(
    conn: Connection, public_key: bytes, report: VerifyReport, signatures: set[bytes]
) -> dict[int, dict[int, bytes]]:
    expected: dict[int, dict[int, bytes]] = {}
    prev: bytes | None = None
    for cid, body, sig in store.checkpoints(conn):
        report.checkpoints += 1
        if not verify_signature(public_key, sig, body):
            report.problems.append(Problem(f"checkpoint {cid}: signature does not verify"))
            return expected
        doc = orjson.loads(body)
        link = bytes.fromhex(doc["prev"]) if doc.get("prev") else None
        if link != prev:
            report.problems.append(
                Problem(f"checkpoint {cid}: does not link to the previous checkpoint")
            )
            return expected
        prev = sig
        signatures.add(bytes(sig))
        for p, s, h in doc["heads"]:
            if s:
                expected.setdefault(int(p), {})[int(s)] = bytes.fromhex(h)
    return expected


def _walk(
    conn: Connection,
    heads: dict[int, tuple[int, bytes]],
    expected: dict[int, dict[int, bytes]],
    states: dict[str | None, bytes],
    report: VerifyReport,
) -> None:
    sha = hashlib.sha256
    cur_part = -1
    walked: set[int] = set()
    prev = GENESIS
    want = 1
    marks: dict[int, bytes] = {}
    bad = report.problems.append
    for eid, part, seq, action, subject_id, st, body, digest in store.chain(conn):
        if part != cur_part:
            if cur_part >= 0 and not _close(cur_part, want - 1, prev, heads, marks, report):
                return
            cur_part, prev, want = part, GENESIS, 1
            walked.add(part)
            marks = expected.get(part, {})
            if part not in heads:
                bad(Problem("event in an unknown partition", eid, part, seq))
                return
        if seq != want:
            reason = "event missing before this one (deleted or reordered)"
            bad(Problem(reason, eid, part, seq))
            return
        # Inline chain_hash: the columns are bound by the header, so no body is parsed.
        header = f"{part}:{seq}:{action}:{subject_id or ''}:{st.hex() if st else ''}\n"
        h = sha(prev + header.encode() + body).digest()
        if h != bytes(digest):
            bad(Problem("hash does not match (edited or reordered)", eid, part, seq))
            return
        if seq in marks and marks[seq] != h:
            bad(Problem("differs from a signed checkpoint", eid, part, seq))
            return
        if st is not None:
            states[subject_id] = st
        prev, want = h, want + 1
        report.events += 1
    if cur_part >= 0 and not _close(cur_part, want - 1, prev, heads, marks, report):
        return
    # A partition whose events are all gone: its head or a signed checkpoint still counts them.
    for part in sorted(heads):
        if part not in walked and not _close(
            part, 0, GENESIS, heads, expected.get(part, {}), report
        ):
            return
    # A partition a signed checkpoint names, deleted with its head row (and its events).
    for part in sorted(set(expected) - set(heads)):
        if expected[part]:
            reason = "a partition named by a signed checkpoint has no head"
            bad(Problem(reason, part=part, seq=max(expected[part])))
            return


def _close(
    part: int,
    last: int,
    prev: bytes,
    heads: dict[int, tuple[int, bytes]],
    marks: dict[int, bytes],
    report: VerifyReport,
) -> bool:
    head_seq, head_hash = heads[part]
    beyond = [s for s in marks if s > last]
    if head_seq != last or head_hash != prev or beyond:
        report.problems.append(
            Problem(
                f"partition ends at seq {last} but its head or a signed checkpoint says "
                f"{max([head_seq, *beyond])} (events truncated)",
                None,
                part,
                last,
            )
        )
        return False
    return True


def _reconcile(
    conn: Connection,
    reconciler: Reconciler,
    states: dict[str | None, bytes],
    report: VerifyReport,
) -> None:
    seen = 0
    for subject_id, digest in reconciler(conn):
        report.subjects += 1
        recorded = states.get(subject_id)
        if recorded is None:
            report.problems.append(
                Problem("vault subject without an audit trail (inserted)", subject_id=subject_id)
            )
            return
        if recorded != digest:
            report.problems.append(
                Problem(
                    "vault rows differ from the audited state (edited or deleted)",
                    subject_id=subject_id,
                )
            )
            return
        seen += 1
    if seen != len(states):
        report.problems.append(Problem("audited subjects missing from the vault (deleted)"))
