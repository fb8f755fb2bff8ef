"""Consent rows as the audit log digests them (issue 13 must-have 4; issue 14 must-have 4):
the columns revision 0017 added digest only when set, so a consent audited before them
keeps its digest, and a later one covers its sealed name and evidence record."""

from __future__ import annotations

from qorgau.audit.rows import RowSpec
from qorgau.consent.store import ADDED_0017, CONSENT_ROWS, consent

BEFORE = tuple(c.name for c in consent.columns if c.name not in ADDED_0017)


def _row(**over: object) -> dict[str, object]:
    row: dict[str, object] = {c: None for c in BEFORE}
    row.update(id="c" * 32, subject_id="s" * 32, purpose="offers", fields="[]",
               recipients="[]", third_party_transfer=False, cross_border=False,
               public_sources=False, term_days=365)  # fmt: skip
    row.update(over)
    return row


def test_a_consent_without_the_new_columns_digests_as_before() -> None:
    old = RowSpec(consent, ("id",), BEFORE)  # the spec of revision 0013
    row = _row()
    assert CONSENT_ROWS.digest({**row, **dict.fromkeys(ADDED_0017)}) == old.digest(row)


def test_the_sealed_name_and_the_record_are_covered_once_set() -> None:
    plain = CONSENT_ROWS.digest({**_row(), "name_sealed": None, "evidence_record": None})
    named = CONSENT_ROWS.digest({**_row(), "name_sealed": b"\x01sealed", "evidence_record": None})
    other = CONSENT_ROWS.digest({**_row(), "name_sealed": b"\x01other", "evidence_record": None})
    record = CONSENT_ROWS.digest({**_row(), "name_sealed": b"\x01sealed", "evidence_record": "{}"})
    assert len({plain, named, other, record}) == 4
    assert set(CONSENT_ROWS.columns) >= set(ADDED_0017)  # read back by the reconciler
