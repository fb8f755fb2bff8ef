"""docs/api-statuses.md is what the OpenAPI document declares (regenerate: see its head)."""

from __future__ import annotations

from pathlib import Path

from qorgau.apidoc import render
from qorgau.bootstrap import initialise
from qorgau.config import Settings
from qorgau.container import build_container
from qorgau.server import create_app

DOC = Path(__file__).resolve().parents[2] / "docs" / "api-statuses.md"


def test_the_document_matches_the_openapi(tmp_path: Path) -> None:
    s = Settings(home=tmp_path / "var", audit_partitions=1)
    initialise(s)
    services = build_container(s)
    try:
        spec = create_app(services).openapi()
    finally:
        services.close()
    assert DOC.read_text(encoding="utf-8") == render(spec), (
        "docs/api-statuses.md is stale: python -m qorgau.apidoc > docs/api-statuses.md"
    )
    for ops in spec["paths"].values():
        for op in ops.values():
            assert {"400", "413", "422"} <= set(op["responses"])
