"""ASGI middleware: request ids, a log line and metrics per request, and bounded input."""

from __future__ import annotations

import logging
import os
import re
import time
from urllib.parse import parse_qsl

from starlette.datastructures import MutableHeaders
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from customer_registry.core.errors import (
    log_unexpected_error,
    problem_response,
    unexpected_error_response,
)
from customer_registry.core.logs import log_request
from customer_registry.core.metrics import observe_request

REQUEST_ID_HEADER = "x-request-id"
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


class RequestIdMiddleware:
    """Takes a well-formed `X-Request-ID` from the caller or makes one, and echoes it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                candidate = value.decode("latin-1")
                if _ACCEPTABLE_REQUEST_ID.match(candidate):
                    request_id = candidate
                break
        if request_id is None:
            request_id = os.urandom(16).hex()  # 128 random bits, as a UUID4's hex has 122
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_request_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        await self.app(scope, receive, send_with_request_id)


class ErrorBoundaryMiddleware:
    """Answers an exception that escaped the application as problem+json, and returns
    instead of raising it to the server; inside `RequestIdMiddleware`."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        response_started = False

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as error:
            request = Request(scope)
            if response_started:
                log_unexpected_error(request, error, "response cut by")
                return
            await unexpected_error_response(request, error)(scope, receive, send)


# Probes and scrapes arrive every few seconds; their lines are only logged at DEBUG.
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
UNMATCHED_ROUTE = "<unmatched>"
# Any other method a client invents is logged and counted as OTHER (bounded label values).
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def route_template(scope: Scope) -> str:
    """The matched route's template (`/api/v1/customers/{customer_id}`), never the raw path."""
    route = scope.get("route")
    # The template as documented: without convertors (`{customer_id:not_lookup}`).
    path = getattr(route, "path_format", None)
    return path if isinstance(path, str) and path else UNMATCHED_ROUTE


class RequestLogMiddleware:
    """One JSON log line and one metrics observation per HTTP request; nothing the caller
    sent is logged."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # unless a response starts: an exception escaped the application

        async def send_recording_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_recording_status)
        finally:
            seconds = time.perf_counter() - started
            route = route_template(scope)
            method = scope["method"] if scope["method"] in KNOWN_METHODS else "OTHER"
            observe_request(method, route, status, seconds)
            state = scope.get("state", {})
            log_request(
                logging.DEBUG if route in QUIET_ROUTES else logging.INFO,
                {
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(seconds * 1000, 2),
                    "request_id": state.get("request_id"),
                    "principal_kind": state.get("principal_kind"),
                    "principal_id": state.get("principal_id"),
                },
            )


class RequestBodyTooLarge(HTTPException):
    """The body grew past the limit while it was read."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"The request body is larger than {max_bytes} bytes.")


class BodySizeLimitMiddleware:
    """Refuses request bodies over `max_bytes` with 413, whether declared or streamed."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and (not value.isdigit() or int(value) > self.max_bytes):
                await self._refuse(scope, receive, send)
                return
        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise RequestBodyTooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except RequestBodyTooLarge:
            if response_started:
                raise
            await self._refuse(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = problem_response(
            Request(scope),
            413,
            "payload-too-large",
            "Request body too large",
            f"The request body is larger than {self.max_bytes} bytes.",
        )
        await response(scope, receive, send)


_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")


class ControlCharacterGuardMiddleware:
    """422 for control characters (NUL included) in the path or any query parameter."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        location = self._offending_location(scope)
        if location is None:
            await self.app(scope, receive, send)
            return
        response = problem_response(
            Request(scope),
            422,
            "validation-error",
            "Invalid request",
            "The request does not match the schema; see errors.",
            errors=[
                {
                    "loc": location,
                    "msg": "must not contain control characters",
                    "type": "value_error",
                }
            ],
        )
        await response(scope, receive, send)

    @staticmethod
    def _offending_location(scope: Scope) -> list[str | int] | None:
        if _CONTROL_CHARACTER.search(scope["path"]):
            return ["path"]
        query = scope["query_string"].decode("latin-1")
        for name, value in parse_qsl(query, keep_blank_values=True):
            if _CONTROL_CHARACTER.search(name) or _CONTROL_CHARACTER.search(value):
                return ["query", _CONTROL_CHARACTER.sub("", name)]
        return None
