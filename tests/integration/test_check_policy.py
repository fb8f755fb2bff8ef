"""`qorgau check`'s published-policy check on a real database (issue 14, must-have 10): the
current version against a fresh render of the live configuration, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from qorgau.checks import law as checks
from qorgau.checks.registry import CheckContext
from qorgau.config import OperatorProfile, Settings
from qorgau.container import build_container
from qorgau.security.actors import Actor

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _check(settings: Settings) -> tuple[bool, str]:
    ctx = CheckContext(settings, NOW, build_container)
    try:
        outcome = checks.policy_current(ctx)
    finally:
        ctx.close()
    return outcome.ok, outcome.reason


def test_no_published_policy_fails(settings: Settings) -> None:
    assert _check(settings) == (False, "no policy is published: run `qorgau policy publish`")


def test_a_policy_stale_against_the_live_figures_fails(settings: Settings, dpo: Actor) -> None:
    svc = build_container(settings)
    try:
        with svc.db.unit_of_work() as conn:
            svc.policy.publish(conn, dpo)
    finally:
        svc.close()
    ok, reason = _check(settings)
    assert ok, reason
    assert reason == "published policy v1 matches a fresh render"
    # The operator's figures change (a new responsible person, a new BIN): the published
    # text no longer says what the configuration does.
    changed = settings.model_copy(
        update={"operator": OperatorProfile(responsible_person="Fictional Person")}
    )
    ok, reason = _check(changed)
    assert not ok
    assert reason.startswith("published policy v1 is stale against the live configuration in ")
    assert "en, kk, ru" in reason
    assert "Fictional" not in reason
    svc = build_container(changed)
    try:
        with svc.db.unit_of_work() as conn:
            svc.policy.publish(conn, dpo, {"en": "The operator's own English text."})
    finally:
        svc.close()
    ok, reason = _check(changed)
    assert ok, reason
    assert reason == (
        "published policy v2 matches a fresh render; the operator's own text in en is not compared"
    )
