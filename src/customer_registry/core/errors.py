"""Domain errors and their rendering as RFC 9457 problem details."""

from __future__ import annotations

import logging
import traceback
from collections.abc import Mapping
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, Field
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

PROBLEM_JSON = "application/problem+json"
PROBLEM_TYPE_BASE = "https://customer-registry.invalid/problems/"

logger = logging.getLogger(__name__)


class ValidationProblemItem(BaseModel):
    """One invalid input: where it is and what is wrong (never the value itself)."""

    loc: list[str | int]
    msg: str
    type: str


class Problem(BaseModel):
    """An error response (RFC 9457)."""

    type: str = Field(examples=[PROBLEM_TYPE_BASE + "not-found"])
    title: str
    status: int
    detail: str | None = None
    request_id: str | None = None
    errors: list[ValidationProblemItem] | None = None


class RegistryError(Exception):
    """A domain error with its HTTP status and a stable code."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"
    # Whether the request's transaction commits anyway (to keep the audit of a refusal).
    commit_transaction: ClassVar[bool] = False

    def __init__(self, detail: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = headers


class NotFound(RegistryError):
    status_code = 404
    code = "not-found"
    title = "Not found"


class Gone(RegistryError):
    status_code = 410
    code = "gone"
    title = "Gone"


class Conflict(RegistryError):
    status_code = 409
    code = "conflict"
    title = "Conflict"


class Unauthorized(RegistryError):
    status_code = 401
    code = "unauthorized"
    title = "Not authenticated"

    def __init__(self, detail: str | None = None):
        super().__init__(detail, headers={"WWW-Authenticate": "Bearer"})


class Forbidden(RegistryError):
    status_code = 403
    code = "forbidden"
    title = "Forbidden"


class PreconditionFailed(RegistryError):
    status_code = 412
    code = "precondition-failed"
    title = "Precondition failed"


class PreconditionRequired(RegistryError):
    status_code = 428
    code = "precondition-required"
    title = "Precondition required"


class UnprocessableEntity(RegistryError):
    status_code = 422
    code = "unprocessable"
    title = "Unprocessable request"


class DatabaseUnavailable(RegistryError):
    """The connection to the database was lost (a restart, a failover): nothing was done."""

    status_code = 503
    code = "database-unavailable"
    title = "Database unavailable"

    def __init__(self) -> None:
        super().__init__(
            "The connection to the database was lost; nothing was changed. Retry.",
            headers={"Retry-After": "1"},
        )


def problem_response(
    request: Request,
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    errors: list[dict[str, Any]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPE_BASE + code,
        "title": title,
        "status": status,
        "detail": detail,
        "request_id": getattr(request.state, "request_id", None),
    }
    if errors is not None:
        body["errors"] = errors
    return JSONResponse(
        body, status_code=status, media_type=PROBLEM_JSON, headers=dict(headers or {})
    )


def _validation_errors(exc: RequestValidationError) -> list[dict[str, Any]]:
    # Only location, message and type: input values may be personal data.
    return [
        {
            "loc": [part if isinstance(part, int) else str(part) for part in error["loc"]],
            "msg": str(error["msg"]),
            "type": str(error["type"]),
        }
        for error in exc.errors()
    ]


_STATUS_CODES = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    406: "not-acceptable",
    409: "conflict",
    410: "gone",
    413: "payload-too-large",
    415: "unsupported-media-type",
    422: "unprocessable",
    429: "too-many-requests",
}


FASTAPI_BODY_PARSE_ERROR = "There was an error parsing the body"


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path, in any router (Starlette names only
    the first route's)."""
    methods: set[str] = set()
    for route in iter_route_contexts(request.app.router.routes):
        match, _ = route.matches(request.scope)
        if match is not Match.NONE:
            methods |= route.methods or set()
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    """Render every error, expected or not, as problem+json."""

    async def on_registry_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RegistryError)
        return problem_response(
            request, exc.status_code, exc.code, exc.title, exc.detail, headers=exc.headers
        )

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        return problem_response(
            request,
            422,
            "validation-error",
            "Invalid request",
            "The request does not match the schema; see errors.",
            errors=_validation_errors(exc),
        )

    async def on_http_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        if exc.status_code == 400 and exc.detail == FASTAPI_BODY_PARSE_ERROR:
            # A body that is not even text (invalid UTF-8) is invalid input like malformed
            # JSON, which FastAPI already answers with 422.
            return problem_response(
                request,
                422,
                "validation-error",
                "Invalid request",
                "The request body could not be parsed.",
                errors=[{"loc": ["body"], "msg": "cannot be parsed", "type": "body_invalid"}],
            )
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = ", ".join(_allowed_methods(request))
        code = _STATUS_CODES.get(exc.status_code, "error")
        title = code.replace("-", " ").capitalize()
        detail = exc.detail if isinstance(exc.detail, str) else None
        return problem_response(request, exc.status_code, code, title, detail, headers=headers)

    async def on_unexpected_error(request: Request, exc: Exception) -> JSONResponse:
        if isinstance(exc, DBAPIError) and exc.connection_invalidated:
            # The database closed the connection (a restart, a failover): the transaction
            # did not happen, and the pool replaces the connection, so a retry can succeed.
            return await on_registry_error(request, DatabaseUnavailable())
        # The exception's message may quote personal data (a driver error names the
        # offending value), so only its type and where it happened are logged.
        frames = traceback.extract_tb(exc.__traceback__)
        logger.error(
            "unhandled %s at %s",
            type(exc).__name__,
            " <- ".join(f"{frame.filename}:{frame.lineno}" for frame in reversed(frames[-5:])),
            extra={"request_id": getattr(request.state, "request_id", None)},
        )
        return problem_response(
            request, 500, "internal-error", "Internal server error", "The request failed."
        )

    app.add_exception_handler(RegistryError, on_registry_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(Exception, on_unexpected_error)


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the problem statuses a route can return."""
    descriptions = {
        400: "Bad request",
        401: "Not authenticated",
        403: "Not allowed for this principal",
        404: "Not found",
        409: "Conflict",
        410: "The data was erased",
        412: "The If-Match version is stale",
        413: "Request body too large",
        422: "Invalid request",
        428: "If-Match header required",
        429: "Too many requests",
    }
    return {
        status: {
            "description": descriptions.get(status, "Error"),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in statuses
    }
