"""One mapping from domain errors to problem+json (RFC 9457) with stable type URIs.

Bodies name fields and reason codes, never submitted values: FastAPI's validation errors
carry the input, so they are rebuilt here without it.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from qorgau.catalog import (
    FieldNotAllowed,
    InvalidValue,
    SpecialCategoryFound,
    UnknownField,
    UnknownPurpose,
    UnknownSubjectCategory,
)
from qorgau.errors import DomainError

MEDIA = "application/problem+json"
STATUS = {
    "invalid": 422,
    "unauthenticated": 401,
    "forbidden": 403,
    "not_found": 404,
    "conflict": 409,
    "rate_limited": 429,
    "integrity": 500,
}

#: Every problem type the API can return, with its title (served at /problems/<code>).
TYPES: dict[str, str] = {
    "invalid-value": "A value failed validation",
    "special-category": "Special categories of personal data are not processed (policy 3.2)",
    "unknown-field": "Unknown data category",
    "unknown-purpose": "Unknown purpose",
    "unknown-subject-category": "Unknown subject category",
    "field-not-allowed": "The purpose may not collect this field (policy 4.1)",
    "request-validation": "The request body is malformed",
    "malformed-json": "The request body is not valid JSON",
    "body-too-large": "The request body is over the size limit",
    "http": "HTTP error",
}


def problem_types() -> dict[str, str]:
    """Every problem type: the catalogue's and the request's, and every domain error's."""
    found = dict(TYPES)
    stack: list[type[DomainError]] = [DomainError]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        doc = cls.__doc__.strip().splitlines()[0] if cls.__doc__ else cls.title
        found.setdefault(cls.code, doc)
    return found


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": f"/problems/{code}", "title": title, "status": status, "detail": detail}
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA)


def install_problem_handlers(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def domain(request: Request, exc: DomainError) -> JSONResponse:
        actor = getattr(exc, "audit_as", None)
        if actor is not None:
            await run_in_threadpool(_audit_refusal, request.app, actor, exc)
        headers = {"WWW-Authenticate": "Bearer"} if exc.kind == "unauthenticated" else None
        # Every refusal names its reason as a member (the gate's, the transfer rule's).
        reason = exc.problem_reason()
        extra = {"reason": reason} if reason is not None else {}
        resp = problem(
            STATUS.get(exc.kind, 400), exc.code, exc.title, exc.problem_detail(), **extra
        )
        if headers:
            resp.headers.update(headers)
        return resp

    @app.exception_handler(InvalidValue)
    async def invalid(_r: Request, exc: InvalidValue) -> JSONResponse:
        return problem(
            422,
            "invalid-value",
            TYPES["invalid-value"],
            exc.message,
            field=exc.field,
            reason=exc.code,
        )

    @app.exception_handler(SpecialCategoryFound)
    async def special(_r: Request, exc: SpecialCategoryFound) -> JSONResponse:
        return problem(
            422,
            "special-category",
            TYPES["special-category"],
            str(exc),
            field=exc.field,
            category=exc.category,
            categories=list(exc.categories),
        )

    @app.exception_handler(FieldNotAllowed)
    async def not_allowed(_r: Request, exc: FieldNotAllowed) -> JSONResponse:
        return problem(
            422,
            "field-not-allowed",
            TYPES["field-not-allowed"],
            str(exc),
            field=exc.field,
            purpose=exc.purpose,
        )

    for cls, code in (
        (UnknownField, "unknown-field"),
        (UnknownPurpose, "unknown-purpose"),
        (UnknownSubjectCategory, "unknown-subject-category"),
    ):

        async def unknown(_r: Request, exc: Exception, code: str = code) -> JSONResponse:
            return problem(422, code, TYPES[code], str(exc))

        app.add_exception_handler(cls, unknown)

    @app.exception_handler(RequestValidationError)
    async def validation(_r: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "loc": [str(p) for p in e.get("loc", ())],
                "msg": e.get("msg", ""),
                "type": e.get("type"),
            }
            for e in exc.errors()
        ]
        if any(e["type"] == "json_invalid" for e in errors):
            # Not JSON at all: a syntax error (400), not a value the schema refuses (422).
            return problem(
                400, "malformed-json", TYPES["malformed-json"],
                "the request body is not valid JSON", errors=errors,
            )  # fmt: skip
        return problem(
            422,
            "request-validation",
            TYPES["request-validation"],
            "the request body does not match the schema",
            errors=errors,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        resp = problem(exc.status_code, "http", TYPES["http"], str(exc.detail))
        if exc.headers:
            resp.headers.update(exc.headers)
        if exc.status_code == 405:
            # Every method the path takes (RFC 9110, 15.5.6), as the OpenAPI declares them.
            allowed = _allowed(request.app, request.url.path)
            if allowed:
                resp.headers["allow"] = ", ".join(allowed)
        return resp


def _allowed(app: FastAPI, path: str) -> list[str]:
    """The methods the OpenAPI document declares for ``path``."""
    table: list[tuple[re.Pattern[str], list[str]]] | None = getattr(app.state, "allow", None)
    if table is None:
        table = []
        for template, ops in app.openapi().get("paths", {}).items():
            source = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(template))
            table.append((re.compile(source + "$"), sorted(m.upper() for m in ops)))
        app.state.allow = table
    for compiled, methods in table:
        if compiled.match(path):
            return methods
    return []


def _audit_refusal(app: FastAPI, actor: Any, exc: DomainError) -> None:
    app.state.services.record_refusal(actor, exc.code, str(exc))
