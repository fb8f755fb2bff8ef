"""The access report's audit trail (issue 13, must-have 7): what it takes from an event's
body (action, time, purpose, field names, role, recipient; nothing else of ``d``), its proof
status, and a label in kk/ru/en for every action and role it can name."""

from __future__ import annotations

import orjson

from qorgau.audit.model import ACTIONS
from qorgau.catalog import Catalogue
from qorgau.dsr.access_report import audit_trail, trail_entry
from qorgau.i18n import LANGUAGES, MESSAGES
from qorgau.intake.service import with_site_role
from qorgau.security.access import AccessPolicy

BODY = orjson.dumps(
    {
        "a": "retrieve",
        "at": "2026-11-24T10:05:00+00:00",
        "by": "staff:dpo.one",
        "s": "0" * 32,
        "p": "subject_request",
        "f": ["first_name", "phone"],
        "d": {"role": "dpo", "how": "ID card shown", "ground": "subject request RQ-1"},
    }
).decode()
ENTRY = {"id": 7, "part": 3, "seq": 12, "action": "retrieve", "body": BODY}
CHECKPOINT = "qorgau.example/qorgau-audit/3\n12\nAAAA\n\n— qorgau.example/qorgau-audit x\n"
PROVED = {
    "format": "qorgau-audit-proof/1",
    "log_key": "qorgau.example/qorgau-audit+00000000+AQ",
    "checkpoint": CHECKPOINT,
    "index": 11,
    "size": 12,
    "entry": ENTRY,
    "proof": [],
}


def test_an_entry_takes_only_what_the_trail_shows() -> None:
    got = trail_entry(PROVED)
    assert got == {
        "event": 7,
        "action": "retrieve",
        "at": "2026-11-24T10:05:00+00:00",
        "role": "dpo",
        "purpose": "subject_request",
        "recipient": None,
        "fields": ["first_name", "phone"],
        "status": "proved",
        "checkpoint": {"origin": "qorgau.example/qorgau-audit/3", "size": 12},
        "bundle": PROVED,
    }
    shown = orjson.dumps({k: v for k, v in got.items() if k != "bundle"}).decode()
    assert "ID card" not in shown
    assert "RQ-1" not in shown
    assert "staff:" not in shown


def test_pending_and_omitted_events_carry_no_bundle() -> None:
    pending = trail_entry({"format": "qorgau-audit-proof/1", "entry": ENTRY, "proof": None})
    assert (pending["status"], pending["checkpoint"], pending["bundle"]) == ("pending", None, None)
    omitted = {"format": "x", "entry": ENTRY, "proof": None, "omitted": True, "size": 12}
    trail = audit_trail([omitted, PROVED])
    first = trail["events"][0]
    assert first["status"] == "omitted"
    assert first["bundle"] is None
    assert first["checkpoint"] == {"origin": "qorgau.example/qorgau-audit/3", "size": 12}
    assert (trail["proved"], trail["pending"], trail["omitted"]) == (1, 0, 1)
    assert trail["log_key"] == PROVED["log_key"]


def test_a_body_of_unexpected_shape_is_shown_as_nothing() -> None:
    odd = orjson.dumps({"a": "collect", "at": 5, "p": ["x"], "f": "phone", "d": "text"})
    got = trail_entry({"entry": {**ENTRY, "action": "collect", "body": odd.decode()}})
    assert (got["at"], got["purpose"], got["fields"], got["role"]) == (None, None, [], None)


def test_every_action_and_role_has_a_label_in_every_language() -> None:
    catalogue = Catalogue.default()
    roles = set(with_site_role(AccessPolicy.default(catalogue), catalogue).roles)
    keys = {f"audit.action.{a}" for a in ACTIONS} | {f"audit.role.{r}" for r in roles}
    keys |= {f"rights.trail.{s}" for s in ("proved", "pending", "omitted")}
    missing = sorted(k for k in keys if k not in MESSAGES)
    assert missing == []
    for key in keys:
        assert all(MESSAGES[key]), key
    assert len(LANGUAGES) == len(MESSAGES["audit.action.collect"])
