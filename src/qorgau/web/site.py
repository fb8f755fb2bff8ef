"""/healthz and the problem-type pages (no personal data on either); /status is the
vault's (``qorgau.vault.pages``)."""

from __future__ import annotations

import html

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse

from qorgau.web.pages import site_of
from qorgau.web.problems import problem_types

router = APIRouter(include_in_schema=False)


@router.get("/healthz")
def health(request: Request) -> dict[str, object]:
    """Alive (always 200 while serving); ``degraded`` while the audit log's checkpoints are
    not cosigned by a witness (none configured, unreachable, or a rollback seen)."""
    witness = site_of(request).services.witness_status()
    return {
        "status": "degraded" if witness.degraded else "ok",
        "audit": {"witness": witness.as_dict()},
    }


@router.get("/problems/{code}", response_class=HTMLResponse)
def problem_type(code: str) -> str:
    title = problem_types().get(code)
    if title is None:
        raise HTTPException(404, "unknown problem type")
    return f"<!doctype html><title>{code}</title><h1>{code}</h1><p>{html.escape(title)}</p>"
