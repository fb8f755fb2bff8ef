"""The whole OpenAPI, fuzzed (issue 11): schemathesis generates up to 25 requests per
operation, and each is sent with a key of every role (dpo, admin, operator, analyst, and a
partner's) to the real application over ASGI, on a fresh database. No answer may be a
server error, and every answer must match the schema the operation declares (statuses and
problem+json bodies: docs/api-statuses.md)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error, response_schema_conformance

from qorgau.bootstrap import initialise
from qorgau.config import Settings
from qorgau.container import build_container
from qorgau.server import create_app
from qorgau.transfers.model import DeliveryMode
from transferkit import DPO, partner

ROLES = ("dpo", "admin", "operator", "analyst", "partner")


@pytest.fixture(scope="session")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, dict[str, str]]]:
    home: Path = tmp_path_factory.mktemp("fuzz") / "var"
    s = Settings(home=home, audit_partitions=16, max_body_bytes=64 * 1024)
    initialise(s)
    services = build_container(s)
    tokens: dict[str, str] = {}
    with services.db.unit_of_work() as conn:
        services.registry.register(conn, DPO, partner("fuzz-pull", delivery=DeliveryMode.PULL))
        for role in ROLES:
            bound = "fuzz-pull" if role == "partner" else None
            tokens[role] = services.api_keys.create_key(conn, role, f"fuzz {role}", bound)[1]
    try:
        yield create_app(services), tokens
    finally:
        services.close()


def _fuzz(operation: Any, tokens: dict[str, str]) -> None:
    @settings(
        max_examples=25,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy())
    def run(case: Any) -> None:
        for role in ROLES:
            case.call_and_validate(
                headers={"Authorization": f"Bearer {tokens[role]}"},
                checks=[not_a_server_error, response_schema_conformance],
            )

    run()


def test_no_server_error_and_every_answer_as_declared(
    fuzzed: tuple[Any, dict[str, str]],
) -> None:
    app, tokens = fuzzed
    api = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    operations = 0
    for result in api.get_all_operations():
        operation = result.ok()
        operations += 1
        try:
            _fuzz(operation, tokens)
        except Exception as exc:
            failures.append(f"{operation.label}: {str(exc)[:2000]}")
    assert operations > 40
    assert failures == [], "\n\n".join(failures)
