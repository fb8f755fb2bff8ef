"""Re-walk the chains, checkpoints and vault state; name the first broken event (DESIGN 3).

Detects, behind the system's back: an edited event (hash), a deleted or reordered event
(sequence and hash), a truncated partition (head, signed checkpoints and the heads file
outside the database), an edited or forged checkpoint (Ed25519 signature and the link to the
previous checkpoint), events that do not hash to their partition's signed RFC 9162 tree head,
an event appended or re-chained without the MAC key (events after the newest checkpoint,
when the key is at hand; without it they are counted as not yet checkpointed), an edited,
deleted or inserted vault row (each state-changing event records a digest of the subject's
stored state; the reconciler recomputes it from the vault tables), and a destroyed subject
whose key is back (the key provider's revocation file names it, the database holds its key).
Events under a checkpoint are checked with the public key alone. The legacy segment (events
before migration 0012) is checked the old way, up to the bounds the transition checkpoint
signed.
"""

from __future__ import annotations

import hashlib
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING

import orjson
from sqlalchemy import Connection

from qorgau.audit import checkpoint as checkpoints
from qorgau.audit import note, store
from qorgau.audit.mac import MacKey
from qorgau.audit.tree import Frontier
from qorgau.crypto.signer import verify_signature
from qorgau.db import GENESIS, LEAF_PREFIX

if TYPE_CHECKING:
    from qorgau.audit.rows import RowSpec

#: Yields (subject_id, digest of its stored state) for every subject row in the vault.
Reconciler = Callable[[Connection], Iterable[tuple[str, bytes]]]
#: Subjects the key provider's revocation file names that still hold a wrapped data key
#: (a restored copy of the database, or rows put back): each is a problem.
Revocations = Callable[[Connection], Iterable[str]]

#: Leaves are folded into the tree this many at a time (memory stays flat).
_FOLD = 65536


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
    #: Events under a signed tree head (checked with the public key alone).
    covered: int = 0
    #: Events under a tree head a configured witness cosigned.
    cosigned: int = 0
    #: Events after the newest checkpoint, checked with the MAC key.
    mac_checked: int = 0
    #: Events after the newest checkpoint, not checked (no MAC key at hand).
    not_checkpointed: int = 0
    problems: list[Problem] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first(self) -> Problem | None:
        return self.problems[0] if self.problems else None


@dataclass
class _Signed:
    """What the checkpoints signed, partition by partition."""

    #: Chain hashes at signed sequence numbers (every checkpoint's heads).
    marks: dict[int, dict[int, bytes]] = field(default_factory=dict)
    #: Tree heads to check: partition -> size -> root (the newest, the newest cosigned).
    roots: dict[int, dict[int, bytes]] = field(default_factory=dict)
    #: The newest tree size of each partition.
    sizes: dict[int, int] = field(default_factory=dict)
    #: The signed legacy segment: partition -> (seq, hash); None before the transition.
    legacy: dict[int, tuple[int, bytes]] | None = None
    origin: str | None = None
    signatures: set[bytes] = field(default_factory=set)


def verify(
    conn: Connection,
    public_key: bytes,
    reconciler: Reconciler | None = None,
    revocations: Revocations | None = None,
    *,
    anchored: bytes | None = None,
    mac: MacKey | None = None,
    marks: dict[int, tuple[int, bytes]] | None = None,
    witnesses: Iterable[note.Verifier] = (),
    rows: Sequence[RowSpec] = (),
) -> VerifyReport:
    """``anchored``: the newest checkpoint signature of the anchor file, which the
    database's checkpoints must include (none missing, no older copy restored); ``marks``:
    the newest heads of the heads file, which the partitions must reach; ``mac``: the MAC
    key, for the events after the newest checkpoint; ``witnesses``: the cosigners whose
    cosignatures count; ``rows``: the security tables reconciled with their audited changes
    (``audit/rows.py``)."""
    report = VerifyReport()
    signed = _checkpoints(conn, public_key, report)
    if anchored is not None and not report.problems and anchored not in signed.signatures:
        report.problems.append(
            Problem(
                "the database does not extend the anchored checkpoint: checkpoints are "
                f"missing or an older copy was restored ({report.checkpoints} in the database)"
            )
        )
    if not report.problems:
        _cosigned(conn, public_key, signed, list(witnesses), report)
    heads = {h.part: (h.seq, h.hash) for h in store.heads(conn)}
    report.partitions = len(heads)
    legacy = signed.legacy if signed.legacy is not None else store.legacy_heads(conn)
    states: dict[str | None, bytes] = {}
    if not report.problems:
        walk = _Walk(heads, signed, legacy, mac, marks or {}, states, report)
        walk.run(store.chain_batches(conn))
    if reconciler is not None and not report.problems:
        _reconcile(conn, reconciler, states, report)
    if revocations is not None:
        for sid in revocations(conn):
            report.problems.append(
                Problem("the revocation file names a subject that still has a key", subject_id=sid)
            )
            break
    if rows and not report.problems:
        from qorgau.audit.rows import reconcile_rows  # rows.py uses this module's Problem

        report.problems.extend(reconcile_rows(conn, rows))
    if report.not_checkpointed:
        report.warnings.append(
            f"{report.not_checkpointed} events after the newest checkpoint are not yet "
            "checkpointed (no MAC key at hand to check them)"
        )
    return report


def _checkpoints(conn: Connection, public_key: bytes, report: VerifyReport) -> _Signed:
    signed = _Signed()
    prev: bytes | None = None
    newest: dict[str, object] | None = None
    for cid, body, sig in store.checkpoints(conn):
        report.checkpoints += 1
        if not verify_signature(public_key, sig, body):
            report.problems.append(Problem(f"checkpoint {cid}: signature does not verify"))
            return signed
        doc = orjson.loads(body)
        link = bytes.fromhex(doc["prev"]) if doc.get("prev") else None
        if link != prev:
            report.problems.append(
                Problem(f"checkpoint {cid}: does not link to the previous checkpoint")
            )
            return signed
        if (
            newest is not None
            and newest.get("v") == checkpoints.VERSION
            and doc.get("v") != (checkpoints.VERSION)
        ):
            report.problems.append(Problem(f"checkpoint {cid}: an old-format checkpoint after "
                                           "the transition"))  # fmt: skip
            return signed
        prev = sig
        newest = doc
        signed.signatures.add(bytes(sig))
        for p, s, h in doc["heads"]:
            if s:
                signed.marks.setdefault(int(p), {})[int(s)] = bytes.fromhex(h)
    if newest is not None and newest.get("v") == checkpoints.VERSION:
        signed.legacy = checkpoints.legacy_of(newest)
        signed.origin = str(newest["origin"])
        for part, (size, root) in checkpoints.trees_of(newest).items():
            signed.sizes[part] = size
            if size:
                signed.roots.setdefault(part, {})[size] = root
    return signed


def _cosigned(
    conn: Connection,
    public_key: bytes,
    signed: _Signed,
    witnesses: list[note.Verifier],
    report: VerifyReport,
) -> None:
    """Each partition's newest tree head a configured witness cosigned: its note must be
    the log's, its root is checked against the events like the newest one's."""
    if not witnesses or signed.origin is None:
        if signed.origin is not None:
            report.warnings.append("no witness configured: checkpoints are anchored only here")
        return
    log = checkpoints.note_verifier(public_key, signed.origin)
    by_name = {(w.name, w.key_id): w for w in witnesses}
    best: dict[int, int] = {}
    newest: dict[int, int] = {}
    for w in witnesses:
        for part, size in store.cosigned_sizes(conn, w.name).items():
            # Larger than the database's own tree head: the witness names a rollback.
            if newest.get(part, 0) < size <= signed.sizes.get(part, 0):
                newest[part] = size
    for (part, size), lines in sorted(store.cosignatures_at(conn, newest.items()).items()):
        row = store.tree_head(conn, part, size)
        if row is None:
            continue
        try:
            cp, _ = note.open_checkpoint(row.note, [log])
        except note.InvalidNote:
            report.problems.append(Problem(f"the tree head of {size} has a bad note", part=part))
            return
        for _witness, line in lines:
            try:
                parsed = note.parse_signature_line(line)
                cosigner = by_name.get((parsed.name, parsed.key_id))
                origin = checkpoints.partition_origin(signed.origin, part)
                if cosigner is not None and cp.origin == origin:
                    note.verify_cosignature(cp, line, cosigner)
                    best[part] = size
                    signed.roots.setdefault(part, {})[size] = cp.root
                    break
            except note.InvalidNote:
                continue
    report.cosigned = sum(best.values())
    if len(best) < len([p for p, n in signed.sizes.items() if n]):
        report.warnings.append(
            "some partitions' newest checkpoints are not cosigned by a witness yet "
            f"({len(best)} of {len(signed.sizes)} cosigned)"
        )


class _Walk:
    """One pass over every event in (partition, sequence) order.

    Rows come in batches, cut into runs of one partition. A run of events under the newest
    tree head and past the legacy segment is checked whole first (sequence numbers, each
    chain step from the stored previous hash, signed heads, the heads file): when every row
    passes it is taken at once, its leaves folded into the tree; otherwise it is walked row
    by row, which names the first broken event as the one-by-one walk does. The legacy
    segment and the events after the newest tree head (MAC-checked) are walked row by row.
    """

    def __init__(
        self,
        heads: dict[int, tuple[int, bytes]],
        signed: _Signed,
        legacy: dict[int, tuple[int, bytes]],
        mac: MacKey | None,
        marks: dict[int, tuple[int, bytes]],
        states: dict[str | None, bytes],
        report: VerifyReport,
    ) -> None:
        self.heads = heads
        self.signed = signed
        self.legacy = legacy
        self.mac = mac
        self.marks = marks
        self.states = states
        self.report = report
        self.walked: set[int] = set()
        # The current partition and where its walk is.
        self.part = -1
        self.prev = GENESIS
        self.want = 1
        self.frontier = Frontier()
        self.checked_roots = 0
        self.leaves: list[bytes] = []
        # What was signed about the current partition.
        self.part_marks: dict[int, bytes] = {}
        self.mark_seqs: list[int] = []
        self.legacy_seq = 0
        self.tree_size = 0
        self.at_roots: dict[int, bytes] = {}
        self.root_seqs: list[int] = []
        self.mark_seq, self.mark_hash = 0, b""

    def bad(self, problem: Problem) -> bool:
        self.report.problems.append(problem)
        return False

    def run(self, batches: Iterable[Sequence[store.ChainTuple]]) -> None:
        for rows in batches:
            for part, group in groupby(rows, itemgetter(1)):
                run = list(group)
                if part != self.part and not self.enter(run[0]):
                    return
                if not self.walk(run):
                    return
        if self.part >= 0 and not self.close(self.part, self.want - 1, self.prev, self.leaves):
            return
        # A partition whose events are all gone: its head or a signed checkpoint still counts them.
        for part in sorted(self.heads):
            if part not in self.walked and not self.close(part, 0, GENESIS, [], walked=False):
                return
        # A partition a signed checkpoint names, deleted with its head row (and its events).
        for part in sorted(set(self.signed.marks) - set(self.heads)):
            if self.signed.marks[part]:
                reason = "a partition named by a signed checkpoint has no head"
                self.bad(Problem(reason, part=part, seq=max(self.signed.marks[part])))
                return

    def enter(self, first: store.ChainTuple) -> bool:
        """A partition begins with this row: close the previous one, start this one."""
        if self.part >= 0 and not self.close(self.part, self.want - 1, self.prev, self.leaves):
            return False
        eid, part, seq = first[0], first[1], first[2]
        self.part, self.prev, self.want = part, GENESIS, 1
        self.walked.add(part)
        if part not in self.heads:
            return self.bad(Problem("event in an unknown partition", eid, part, seq))
        self.part_marks = self.signed.marks.get(part, {})
        self.mark_seqs = sorted(self.part_marks)
        self.legacy_seq = self.legacy.get(part, (0, b""))[0]
        self.tree_size = self.signed.sizes.get(part, 0)
        self.at_roots = self.signed.roots.get(part, {})
        self.root_seqs = sorted(self.at_roots)
        self.mark_seq, self.mark_hash = self.marks.get(part, (0, b""))
        self.frontier = Frontier()
        self.checked_roots = 0
        self.leaves = []
        return True

    def walk(self, run: Sequence[store.ChainTuple]) -> bool:
        """The current partition's next events."""
        i, n = 0, len(run)
        while i < n:
            want = self.want
            if self.legacy_seq < want <= self.tree_size:
                j = min(n, i + self.tree_size - want + 1)
                ok = self.whole(run[i:j])
                if ok is None:
                    ok = self.one_by_one(run[i:j])
            else:
                j = min(n, i + self.legacy_seq - want + 1) if want <= self.legacy_seq else n
                ok = self.one_by_one(run[i:j])
            if not ok:
                return False
            i = j
        return True

    def whole(self, rows: Sequence[store.ChainTuple]) -> bool | None:
        """Events under the tree head, past the legacy segment, checked as a whole: True
        when every row passes (taken), None when one does not (nothing taken: walk them one
        by one), False when a signed tree head they reach does not match."""
        want, n = self.want, len(rows)
        last = want + n - 1
        if [r[2] for r in rows] != list(range(want, last + 1)):
            return None
        digests = [r[7] for r in rows]
        sha, prefix = hashlib.sha256, LEAF_PREFIX
        # Each step from the stored previous hash: when all match, so does the chain.
        hashes = [
            sha(
                prefix + prev
                + f"{part}:{seq}:{action}:{sid or ''}:{st.hex() if st else ''}\n".encode()
                + body
            ).digest()
            for prev, (_eid, part, seq, action, sid, st, body, _digest, _tag) in zip(
                [self.prev, *digests[:-1]], rows, strict=True
            )
        ]  # fmt: skip
        if hashes != digests:
            return None
        seqs = self.mark_seqs
        for s in seqs[bisect_left(seqs, want) : bisect_right(seqs, last)]:
            if self.part_marks[s] != hashes[s - want]:
                return None
        if want <= self.mark_seq <= last and hashes[self.mark_seq - want] != self.mark_hash:
            return None
        leaves, done = self.leaves, 0
        seqs = self.root_seqs
        for size in seqs[bisect_left(seqs, want) : bisect_right(seqs, last)]:
            k = size - want + 1
            leaves.extend(hashes[done:k])
            self.frontier.extend(leaves)
            leaves.clear()
            if not self.check_roots(self.part, size):
                self.take(rows[: k - 1])  # the events before it were walked
                return False
            done = k
        leaves.extend(hashes[done:])
        if len(leaves) >= _FOLD:
            self.frontier.extend(leaves)
            leaves.clear()
        self.take(rows)
        self.prev, self.want = hashes[-1], last + 1
        return True

    def take(self, rows: Sequence[store.ChainTuple]) -> None:
        states = self.states
        for row in rows:
            if row[5] is not None:
                states[row[4]] = row[5]
        self.report.events += len(rows)

    def one_by_one(self, rows: Sequence[store.ChainTuple]) -> bool:
        """Events walked row by row; the first broken one is named."""
        sha = hashlib.sha256
        prefix = LEAF_PREFIX
        states = self.states
        report = self.report
        prev, want = self.prev, self.want
        marks = self.part_marks
        legacy_seq, tree_size, at_roots = self.legacy_seq, self.tree_size, self.at_roots
        mark_seq, mark_hash = self.mark_seq, self.mark_hash
        leaves = self.leaves
        for eid, part, seq, action, subject_id, st, body, digest, tag in rows:
            if seq != want:
                reason = "event missing before this one (deleted or reordered)"
                return self.bad(Problem(reason, eid, part, seq))
            # Inline chain_hash: the columns are bound by the header, so no body is parsed.
            header = f"{part}:{seq}:{action}:{subject_id or ''}:{st.hex() if st else ''}\n"
            if seq > legacy_seq:
                h = sha(prefix + prev + header.encode() + body).digest()
            else:
                h = sha(prev + header.encode() + body).digest()
            if h != digest:
                return self.bad(
                    Problem("hash does not match (edited or reordered)", eid, part, seq)
                )
            if seq in marks and marks[seq] != h:
                return self.bad(Problem("differs from a signed checkpoint", eid, part, seq))
            if seq == mark_seq and h != mark_hash:
                reason = "differs from the heads file outside the database (rewound, re-appended)"
                return self.bad(Problem(reason, eid, part, seq))
            if seq <= tree_size:
                leaves.append(h)
                if len(leaves) >= _FOLD or seq in at_roots:
                    self.frontier.extend(leaves)
                    leaves.clear()
                    if not self.check_roots(part, seq):
                        return False
            elif seq > legacy_seq:
                if self.mac is None:
                    report.not_checkpointed += 1
                elif self.mac.check(part, seq, h, tag):
                    report.mac_checked += 1
                else:
                    reason = "MAC does not verify (appended or re-chained without the key)"
                    return self.bad(Problem(reason, eid, part, seq))
            if st is not None:
                states[subject_id] = st
            prev, want = h, want + 1
            report.events += 1
        self.prev, self.want = prev, want
        return True

    def check_roots(self, part: int, seq: int) -> bool:
        """At a size some tree head signed, the events must hash to its root."""
        for size, root in sorted(self.signed.roots.get(part, {}).items()):
            if self.frontier.size == size and seq == size:
                if self.frontier.root() != root:
                    reason = f"the events do not hash to the signed tree head of {size}"
                    return self.bad(Problem(reason, part=part, seq=seq))
                self.checked_roots += 1
        return True

    def close(
        self, part: int, last: int, prev: bytes, leaves: list[bytes], *, walked: bool = True
    ) -> bool:
        head_seq, head_hash = self.heads[part]
        marks = self.signed.marks.get(part, {})
        beyond = [s for s in marks if s > last]
        tree = self.signed.sizes.get(part, 0)
        if tree > last:
            beyond.append(tree)
        if head_seq != last or head_hash != prev or beyond:
            return self.bad(
                Problem(
                    f"partition ends at seq {last} but its head or a signed checkpoint says "
                    f"{max([head_seq, *beyond])} (events truncated)",
                    None,
                    part,
                    last,
                )
            )
        marked = self.marks.get(part)
        if marked is not None and marked[0] > last:
            return self.bad(
                Problem(
                    f"partition ends at seq {last} but the heads file outside the database "
                    f"saw seq {marked[0]} (events truncated, heads rewound)",
                    None,
                    part,
                    last,
                )
            )
        report = self.report
        if walked and tree:
            report.covered += tree
            if self.checked_roots < len(self.signed.roots.get(part, {})):
                return self.bad(Problem("a signed tree head was not reached", part=part))
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
