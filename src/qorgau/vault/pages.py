"""The status page (at /status): running or not for anyone, the subjects by status only for
a staff key (no personal data either way)."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse

from qorgau.security.apikeys import Unauthenticated
from qorgau.security.web_auth import STAFF_ROLES
from qorgau.vault.store import subjects as store
from qorgau.web.deps import ServicesDep

router = APIRouter(include_in_schema=False)

_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<title>qorgau</title><meta name="viewport" content="width=device-width,initial-scale=1">
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:44rem;margin:3rem auto;padding:0 1rem}}
td{{padding:.2rem 1rem .2rem 0}}</style></head><body>
<h1>qorgau</h1><p>Personal-data processing management for {operator}.</p>
<table>{rows}</table>
<p><a href="/docs">API documentation (OpenAPI)</a></p></body></html>"""


@router.get("/status", response_class=HTMLResponse)
async def status_page(request: Request, services: ServicesDep) -> str:
    """Running or not, for anyone; the figures (subjects by status) only for a caller with
    a staff API key: how many people an operator holds data of is not public."""
    auth = request.headers.get("authorization", "")
    token = auth[7:].strip() if auth[:7].lower() == "bearer " else None

    def load() -> dict[str, int] | None:
        with services.db.engine.connect() as conn:
            if token is None:
                return None
            try:
                key = services.api_keys.authenticate(conn, token)
            except Unauthenticated:
                return None
            if key.role not in STAFF_ROLES or key.recipient is not None:
                return None
            return store.status_counts(conn)

    counts = await run_in_threadpool(load)
    s = services.settings
    rows = [("Status", "running"), ("Law profile", s.law_profile)]
    if counts is not None:
        rows += [
            ("Database", services.db.dialect),
            ("Subjects: active", str(counts.get("active", 0))),
            ("Subjects: blocked", str(counts.get("blocked", 0))),
            ("Subjects: destroyed", str(counts.get("destroyed", 0))),
            ("Audit partitions", str(services.audit.partitions)),
        ]
    html_rows = "".join(f"<tr><td>{k}</td><td>{v}</td></tr>" for k, v in rows)
    return _PAGE.format(operator=html.escape(s.operator.name), rows=html_rows)
