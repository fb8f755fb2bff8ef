"""The API's OpenAPI kit: the RFC 9457 ``Problem`` model, the error responses every router
declares, and the post-processing of the generated document (docs/api-statuses.md)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class Problem(BaseModel):
    """RFC 9457 problem details; ``type`` is a stable ``/problems/<code>`` URI."""

    type: str = Field(examples=["/problems/purpose-required"])
    title: str
    status: int
    detail: str
    field: str | None = None
    reason: str | None = None


def problem_response(description: str) -> dict[str, object]:
    """An OpenAPI response whose body is a ``Problem``."""
    schema = {"$ref": "#/components/schemas/Problem"}
    return {"description": description, "content": {"application/problem+json": {"schema": schema}}}


#: The error answers of every API-key router (the partner API declares its own).
API_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: problem_response("Missing, unknown or revoked API key"),
    403: problem_response("Refused by the gate (purpose, role, field or operation)"),
    404: problem_response("Unknown subject"),
    409: problem_response("Subject blocked or destroyed, or a transition not allowed"),
    422: problem_response("Invalid value, special category, unknown code or malformed body"),
}


def with_problem_schema(openapi: dict[str, Any]) -> dict[str, Any]:
    """Register the Problem schema the error responses refer to, and the answers every
    operation may give whatever it is (docs/api-statuses.md): 400 for a body that is not
    JSON, 413 for one over the limit (before anything parses it)."""
    for ops in openapi.get("paths", {}).values():
        for op in ops.values():
            responses = op.setdefault("responses", {})
            responses.setdefault("400", problem_response("The request body is not valid JSON"))
            responses.setdefault("413", problem_response("The request body is over the size limit"))
    schemas = openapi.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)
    return openapi
