"""docs/api-statuses.md from the live OpenAPI document: what each operation answers, so the
document never drifts from the code (a test compares them)."""

from __future__ import annotations

from typing import Any

_COMMON = """\
# API statuses

Generated from the OpenAPI document (`/api/v1/openapi.json`) by
`python -m qorgau.apidoc > docs/api-statuses.md`; `tests/unit/test_api_statuses.py`
fails when it drifts. Every error is `application/problem+json` (RFC 9457) with a stable
`type` (`/problems/<code>`, described at that path) and, for a refusal, a `reason` member.

| status | when |
|---|---|
| 400 | the body is not JSON at all (`malformed-json`) |
| 401 | no key, an unknown or a revoked one (`unauthenticated`; `WWW-Authenticate: Bearer`) |
| 403 | the gate or the transfer rule refuses (purpose, role, field, operation, recipient) |
| 404 | an unknown subject, request, recipient, transfer or key |
| 405 | a method the path does not take, with `Allow` listing those it does |
| 409 | a subject blocked or destroyed, or a transition not allowed |
| 413 | a body over `QORGAU_MAX_BODY_BYTES` (1 MiB), refused before it is read (`body-too-large`) |
| 422 | a value the schema or the catalogue refuses, a query parameter out of its bounds |

Every answer of every operation, with a key of each role, is fuzzed against this document
(`tests/fuzz/test_openapi_fuzz.py`): no 5xx, no answer outside its declared schema.

## Per operation

| operation | statuses |
|---|---|
"""


def render(openapi: dict[str, Any]) -> str:
    rows = []
    for path, ops in sorted(openapi.get("paths", {}).items()):
        for method, op in sorted(ops.items()):
            statuses = ", ".join(sorted(op.get("responses", {})))
            rows.append(f"| `{method.upper()} {path}` | {statuses} |")
    return _COMMON + "\n".join(rows) + "\n"


def main() -> None:  # pragma: no cover - a documentation tool
    import tempfile
    from pathlib import Path

    from qorgau.bootstrap import initialise
    from qorgau.config import Settings
    from qorgau.container import build_container
    from qorgau.server import create_app

    with tempfile.TemporaryDirectory() as tmp:
        s = Settings(home=Path(tmp) / "var", audit_partitions=1)
        initialise(s)
        services = build_container(s)
        try:
            print(render(create_app(services).openapi()), end="")
        finally:
            services.close()


if __name__ == "__main__":
    main()
