"""Pages from the templates, the console's response headers, and refusals as pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from customer_registry.auth.principal import Permission
from customer_registry.console.sessions import (
    CSRF_FIELD,
    LANGUAGES,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    CsrfRefused,
    Signed,
    SignInRequired,
    cookie_is_secure,
)
from customer_registry.console.texts import translator
from customer_registry.core.errors import Forbidden, RegistryError
from customer_registry.gdpr_requests.deadlines import FINNISH_TIME

PREFIX = "/console"

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


def _local_time(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return value.astimezone(FINNISH_TIME).strftime("%Y-%m-%d %H:%M")


def _cents(value: int | None) -> str:
    if value is None:
        return ""
    return f"{value / 100:,.2f}".replace(",", " ")


templates = Environment(
    loader=PackageLoader("customer_registry.console", "templates"),
    autoescape=select_autoescape(default=True, default_for_string=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
templates.filters["local_time"] = _local_time
templates.filters["cents"] = _cents


def language_of(request: Request, signed: Signed | None) -> str:
    """The session's language; before sign-in, `?lang=` or the browser's first choice."""
    if signed is not None:
        return signed.language
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    accepted = request.headers.get("accept-language", "")
    return "en" if accepted.lower().startswith("en") else "fi"


def render(
    request: Request,
    template: str,
    signed: Signed | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    language = language_of(request, signed)
    page = templates.get_template(template).render(
        t=translator(language),
        language=language,
        signed=signed,
        csrf_field=CSRF_FIELD,
        prefix=PREFIX,
        request_path=request.url.path,
        **context,
    )
    return HTMLResponse(page, status_code=status_code)


def see_other(path: str) -> RedirectResponse:
    """After a form: the page to show, fetched with GET (Post/Redirect/Get)."""
    return RedirectResponse(f"{PREFIX}{path}", status_code=303)


class ConsoleHeaders:
    """Every console response: no framing, a strict CSP, not cached; the renewed session
    cookie when the request replaced its token and succeeded."""

    def __init__(self, app: ASGIApp, settings_secure: bool) -> None:
        self.app = app
        self.secure = settings_secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers.extend(pair for pair in SECURITY_HEADERS if pair[0] not in names)
                if b"cache-control" not in names:
                    headers.append((b"cache-control", b"no-store"))
                renewed = scope.get("state", {}).get("console_renewed_token")
                # A refused request's transaction is rolled back, the replacement with it.
                if renewed and message["status"] < 400:
                    headers.append((b"set-cookie", session_cookie(renewed, self.secure).encode()))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def session_cookie(token: str, secure: bool) -> str:
    parts = [f"{SESSION_COOKIE}={token}", f"Path={PREFIX}", "HttpOnly", "SameSite=Strict"]
    if secure:
        parts.append("Secure")
    return "; ".join(parts)


def set_session_cookie(response: Response, request: Request, token: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        token,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=cookie_is_secure(request.app.state.settings),
    )


def clear_session_cookie(response: Response, request: Request) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path=PREFIX,
        httponly=True,
        samesite="strict",
        secure=cookie_is_secure(request.app.state.settings),
    )


def _signed_of(request: Request) -> Signed | None:
    signed = getattr(request.state, "console_signed", None)
    return signed if isinstance(signed, Signed) else None


async def registry_error_page(request: Request, error: Exception) -> Response:
    """A service's refusal, as a page that gives its title and detail."""
    assert isinstance(error, RegistryError)
    if isinstance(error, SignInRequired):
        response: Response = RedirectResponse(f"{PREFIX}/sign-in", status_code=303)
        clear_session_cookie(response, request)
        return response
    hint = None
    if isinstance(error, CsrfRefused):
        hint = "problem.csrf"
    elif isinstance(error, Forbidden):
        hint = "problem.forbidden"
    headers = {
        name: value for name, value in (error.headers or {}).items() if name == "Retry-After"
    }
    signed = _signed_of(request)
    if request.url.path == f"{PREFIX}/sign-in" and request.method == "POST":
        response = render(
            request,
            "sign_in.html",
            None,
            status_code=error.status_code,
            nonce=request.cookies.get(SIGN_IN_COOKIE, ""),
            error=error.detail,
        )
        response.headers.update(headers)
        return response
    purpose_form = (
        error.code == "customer-restricted"
        and request.method == "GET"
        and signed is not None
        and signed.can(Permission.restricted_read)
    )
    response = render(
        request,
        "problem.html",
        signed,
        status_code=error.status_code,
        title=error.title,
        detail=error.detail,
        hint=hint,
        errors=[],
        request_id=getattr(request.state, "request_id", None),
        purpose_form=purpose_form,
    )
    response.headers.update(headers)
    return response


async def validation_error_page(request: Request, error: Exception) -> Response:
    """A form or query the console's routes cannot take: which fields, never their values."""
    assert isinstance(error, RequestValidationError)
    errors = [
        {"loc": ".".join(str(part) for part in item["loc"][1:]), "msg": item["msg"]}
        for item in error.errors()
    ]
    return render(
        request,
        "problem.html",
        _signed_of(request),
        status_code=422,
        title="Unprocessable request",
        detail=None,
        hint="problem.invalid",
        errors=errors,
        request_id=getattr(request.state, "request_id", None),
        purpose_form=False,
    )


async def http_error_page(request: Request, error: Exception) -> Response:
    assert isinstance(error, StarletteHTTPException)
    return render(
        request,
        "problem.html",
        _signed_of(request),
        status_code=error.status_code,
        title=str(error.detail),
        detail=None,
        hint="problem.not_found" if error.status_code == 404 else None,
        errors=[],
        request_id=getattr(request.state, "request_id", None),
        purpose_form=False,
    )
