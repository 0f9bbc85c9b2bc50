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
    """A domain error: its HTTP status, stable code, title and OpenAPI description."""

    status_code: ClassVar[int] = 400
    code: ClassVar[str] = "bad-request"
    title: ClassVar[str] = "Bad request"
    # What a route's documented response of this class says; its own title when not given.
    description: ClassVar[str | None] = None
    # Whether the request's transaction commits anyway (to keep the audit of a refusal).
    commit_transaction: ClassVar[bool] = False

    def __init__(self, detail: str | None = None, headers: dict[str, str] | None = None):
        super().__init__(detail or self.title)
        self.detail = detail or self.title
        self.headers = headers

    @classmethod
    def documented(cls) -> str:
        """The description of the nearest class that gives one or a title of its own."""
        for owner in cls.__mro__:
            if owner.__dict__.get("description"):
                return str(owner.__dict__["description"])
            if "title" in owner.__dict__:
                return str(owner.__dict__["title"])
        return cls.title


class NotFound(RegistryError):
    status_code = 404
    code = "not-found"
    title = "Not found"


class Gone(RegistryError):
    status_code = 410
    code = "gone"
    title = "Gone"
    description = "The data was erased"


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
    description = "Not allowed for this principal"


class PreconditionFailed(RegistryError):
    status_code = 412
    code = "precondition-failed"
    title = "Precondition failed"
    description = "The If-Match version is stale"


class PreconditionRequired(RegistryError):
    status_code = 428
    code = "precondition-required"
    title = "Precondition required"
    description = "If-Match header required"


class PayloadTooLarge(RegistryError):
    status_code = 413
    code = "payload-too-large"
    title = "Request body too large"


class UnsupportedMediaType(RegistryError):
    status_code = 415
    code = "unsupported-media-type"
    title = "Unsupported media type"


class TooManyRequests(RegistryError):
    status_code = 429
    code = "too-many-requests"
    title = "Too many requests"
    description = "Too many requests from this caller or address; see Retry-After"

    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(
            "Too many requests to this endpoint; try again later.",
            headers={"Retry-After": str(retry_after_seconds)},
        )


class UnprocessableEntity(RegistryError):
    """Invalid input that the schema cannot see; `loc` names it as a validation error's
    `errors[]` item does, with `msg` (the detail when not given) that never quotes a value."""

    status_code = 422
    code = "unprocessable"
    title = "Unprocessable request"
    description = "Invalid request"
    # Where the invalid input is when the raise site does not say.
    default_loc: ClassVar[tuple[str | int, ...] | None] = None

    def __init__(
        self,
        detail: str | None = None,
        *,
        loc: tuple[str | int, ...] | None = None,
        msg: str | None = None,
        error_type: str | None = None,
    ) -> None:
        super().__init__(detail)
        self.loc = loc if loc is not None else self.default_loc
        self.msg = msg or self.detail
        self.error_type = error_type or self.code.replace("-", "_")

    def errors(self) -> list[dict[str, Any]] | None:
        if self.loc is None:
            return None
        return [{"loc": list(self.loc), "msg": self.msg, "type": self.error_type}]


class DatabaseUnavailable(RegistryError):
    """The database cannot be reached or cannot work now (refused, lost, shut down, read-only,
    out of space): the request's transaction did not commit."""

    status_code = 503
    code = "database-unavailable"
    title = "Database unavailable"
    retry_after = 1
    message = "The database is unavailable; the request's changes were not made. Retry."

    def __init__(self) -> None:
        super().__init__(self.message, headers={"Retry-After": str(self.retry_after)})


class DatabaseBusy(DatabaseUnavailable):
    """No connection was free within the pool timeout, or the transaction lost a conflict
    with a concurrent one (serialisation failure, deadlock): nothing was changed."""

    code = "database-busy"
    title = "Database busy"
    message = "The database is busy; the request's changes were not made. Retry."


class DatabaseTimeout(DatabaseUnavailable):
    """A statement or a lock wait took longer than its timeout: nothing was changed."""

    status_code = 504
    code = "database-timeout"
    title = "Database timeout"
    message = (
        "The database did not answer within the request's time limit; the request's changes "
        "were not made. Retry."
    )


# SQLSTATEs of PostgreSQL (and asyncpg) by the answer they get; a class of two characters
# covers every code in it.
_TIMEOUT_SQLSTATES = frozenset({"57014", "55P03"})  # statement timeout, lock timeout
_BUSY_SQLSTATES = frozenset({"40001", "40P01"})  # serialisation failure, deadlock
_UNAVAILABLE_SQLSTATES = frozenset(
    {
        "08",  # connection exceptions
        "53",  # insufficient resources: disk full, out of memory, too many connections
        "57P01",  # admin shutdown
        "57P02",  # crash shutdown
        "57P03",  # cannot connect now (starting up, in recovery)
        "57P05",  # idle session timeout
        "25006",  # read-only transaction (a standby after a failover)
        "58030",  # I/O error
    }
)
_SQLITE_TIMEOUTS = frozenset({"SQLITE_BUSY", "SQLITE_LOCKED"})
_SQLITE_UNAVAILABLE_PREFIXES = ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN")


def _causes(error: BaseException) -> list[BaseException]:
    """The error, what it wraps (`orig`) and what caused it, outermost first."""
    found: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and current not in found and len(found) < 8:
        found.append(current)
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else current.__cause__
    return found


def database_failure(error: BaseException) -> DatabaseUnavailable | None:
    """The answer to a failure of the database or of the way to it; None for other errors
    (a bug in a statement, a violated constraint)."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    from customer_registry.core.database import DRIVER_CONNECTION_ERRORS

    causes = _causes(error)
    for cause in causes:
        if isinstance(cause, PoolTimeout):
            return DatabaseBusy()
        if isinstance(cause, TimeoutError):  # the server did not answer within the limit
            return DatabaseTimeout()
        sqlstate = getattr(cause, "sqlstate", None)
        if isinstance(sqlstate, str) and sqlstate:
            if sqlstate in _TIMEOUT_SQLSTATES:
                return DatabaseTimeout()
            if sqlstate in _BUSY_SQLSTATES:
                return DatabaseBusy()
            if sqlstate in _UNAVAILABLE_SQLSTATES or sqlstate[:2] in _UNAVAILABLE_SQLSTATES:
                return DatabaseUnavailable()
        name = getattr(cause, "sqlite_errorname", None)
        if isinstance(name, str):
            if name in _SQLITE_TIMEOUTS:
                return DatabaseTimeout()
            if name.startswith(_SQLITE_UNAVAILABLE_PREFIXES):
                return DatabaseUnavailable()
    for cause in causes:
        if isinstance(cause, DBAPIError) and cause.connection_invalidated:
            return DatabaseUnavailable()
        if isinstance(cause, OSError):  # refused, reset, timed out while connecting
            return DatabaseUnavailable()
        if isinstance(cause, OperationalError | InterfaceError):
            return DatabaseUnavailable()
        if isinstance(cause, DRIVER_CONNECTION_ERRORS):
            return DatabaseUnavailable()
    return None


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


# The codes of Starlette's HTTP errors: a domain class's where one has the status.
_STATUS_CODES = {
    405: "method-not-allowed",
    406: "not-acceptable",
} | {
    error.status_code: error.code
    for error in (
        RegistryError,
        Unauthorized,
        Forbidden,
        NotFound,
        Conflict,
        Gone,
        PayloadTooLarge,
        UnsupportedMediaType,
        UnprocessableEntity,
        TooManyRequests,
    )
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


def log_unexpected_error(request: Request, exc: BaseException, what: str = "unhandled") -> None:
    """One line naming the error's type and where it happened, never its message (a driver
    error quotes the offending value, which may be personal data)."""
    frames = traceback.extract_tb(exc.__traceback__)
    logger.error(
        "%s %s at %s",
        what,
        type(exc).__name__,
        " <- ".join(f"{frame.filename}:{frame.lineno}" for frame in reversed(frames[-5:])),
        extra={"request_id": getattr(request.state, "request_id", None)},
    )


def unexpected_error_response(request: Request, exc: Exception) -> JSONResponse:
    """The answer to an exception no handler took: a database failure's problem (503/504),
    anything else a logged 500."""
    failure = database_failure(exc)
    if failure is not None:
        # The transaction did not commit (the request's session rolled back, or the
        # connection was lost and the pool replaces it), so a retry can succeed.
        logger.warning(
            "database failure %s answered %s",
            type(exc).__name__,
            failure.code,
            extra={"request_id": getattr(request.state, "request_id", None)},
        )
        return problem_response(
            request,
            failure.status_code,
            failure.code,
            failure.title,
            failure.detail,
            headers=failure.headers,
        )
    log_unexpected_error(request, exc)
    return problem_response(
        request, 500, "internal-error", "Internal server error", "The request failed."
    )


def install_error_handlers(app: FastAPI) -> None:
    """Render every error, expected or not, as problem+json."""

    async def on_registry_error(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RegistryError)
        errors = exc.errors() if isinstance(exc, UnprocessableEntity) else None
        return problem_response(
            request,
            exc.status_code,
            exc.code,
            exc.title,
            exc.detail,
            errors=errors,
            headers=exc.headers,
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
        return unexpected_error_response(request, exc)

    app.add_exception_handler(RegistryError, on_registry_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    # Database failures are answered inside the middleware (CORS headers included); any
    # other exception reaches `ErrorBoundaryMiddleware` or, last, Starlette's handler.
    from customer_registry.core.database import DATABASE_ERRORS

    for failure in DATABASE_ERRORS:
        app.add_exception_handler(failure, on_unexpected_error)
    app.add_exception_handler(Exception, on_unexpected_error)


def error_responses(*errors: type[RegistryError]) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries for the errors a route can raise, one per status (its
    description lists the status's errors when there are several)."""
    by_status: dict[int, list[type[RegistryError]]] = {}
    for error in errors:
        listed = by_status.setdefault(error.status_code, [])
        if error not in listed:
            listed.append(error)
    return {
        status: {
            "description": _described(by_status[status]),
            "content": {PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for status in sorted(by_status)
    }


def _described(errors: list[type[RegistryError]]) -> str:
    # The generic error of the status first, then the particular ones.
    errors = sorted(errors, key=lambda error: error.__module__ != __name__)
    if len(errors) == 1:
        return errors[0].documented()
    return "\n".join(f"- `{error.code}`: {error.documented()}" for error in errors)
