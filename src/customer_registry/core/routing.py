"""Routes documented from their docstrings, and routes served by handlers of their own."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute, request_response
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.requests import ClientDisconnect
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class DocumentedRoute(APIRoute):
    """A route whose OpenAPI summary is the first line of its endpoint's docstring."""

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        docstring = inspect.cleandoc(endpoint.__doc__ or "")
        first_line, _, rest = docstring.partition("\n")
        if kwargs.get("summary") is None and first_line:
            kwargs["summary"] = first_line.rstrip(".")
        if kwargs.get("description") is None:
            kwargs["description"] = rest.strip() or first_line
        super().__init__(path, endpoint, **kwargs)


def documented_router(**kwargs: Any) -> APIRouter:
    """An APIRouter whose routes take their summaries from docstrings."""
    return APIRouter(route_class=DocumentedRoute, **kwargs)


Handler = Callable[[Request], Coroutine[Any, Any, Response]]


class DirectRoute(DocumentedRoute):
    """A route documented from its endpoint as any other, whose requests `handler` serves;
    a request the handler `Declined` goes to FastAPI's own handling of the endpoint."""

    handler: ClassVar[Handler]

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        usual = request_response(APIRoute.get_route_handler(self))
        self.app = _serving(type(self).handler, usual)

    def get_route_handler(self) -> Handler:
        return type(self).handler


class Declined(Exception):
    """A direct route's handler leaves the request to FastAPI's handling of the endpoint;
    `body` is the request body, when the handler has read it."""

    def __init__(self, body: bytes | None = None) -> None:
        super().__init__()
        self.body = body


def _serving(handler: Handler, usual: ASGIApp) -> ASGIApp:
    """The ASGI application of a direct route: the handler's response, or `usual`'s for a
    declined request (given the body the handler read)."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        try:
            response = await handler(Request(scope, receive, send))
        except Declined as declined:
            await usual(scope, _replaying(declined.body, receive), send)
            return
        await response(scope, receive, send)

    return app


def _replaying(body: bytes | None, receive: Receive) -> Receive:
    """`receive` of a request whose body was read already: the body first, once."""
    if body is None:
        return receive
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replay() -> Message:
        return pending.pop() if pending else await receive()

    return replay


def served_by(handler: Handler) -> type[DirectRoute]:
    """The route class for an endpoint that `handler` serves."""
    return type(
        f"DirectRoute_{handler.__name__}", (DirectRoute,), {"handler": staticmethod(handler)}
    )


M = TypeVar("M", bound=BaseModel)


async def json_body(request: Request, model: type[M]) -> M:
    """The request's `application/json` body as `model`; any other body, or one that does
    not validate, is `Declined`."""
    media_type = request.headers.get("content-type", "").partition(";")[0]
    if media_type.strip().lower() != "application/json":
        raise Declined
    try:
        body = await request.body()
    except ClientDisconnect:
        raise Declined from None  # FastAPI answers it as a body it could not read
    try:
        return model.model_validate_json(body)
    except ValidationError:
        raise Declined(body) from None


T = TypeVar("T")


class RequestParameters:
    """A request's path and query parameters, validated as FastAPI validates them; `check`
    reports the invalid ones together, as FastAPI's 422 does."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.errors: list[Any] = []

    def path(self, name: str, adapter: TypeAdapter[T]) -> T | None:
        return self._validated("path", name, adapter, self.request.path_params[name])

    def query(self, name: str, adapter: TypeAdapter[T]) -> T | None:
        """The parameter, or None when the request has none."""
        if not self.request.scope["query_string"]:
            return None  # most requests: without parsing an empty query string
        value = self.request.query_params.get(name)
        return None if value is None else self._validated("query", name, adapter, value)

    def _validated(self, location: str, name: str, adapter: TypeAdapter[T], value: str) -> T | None:
        try:
            return adapter.validate_python(value)
        except ValidationError as error:
            self.errors.extend(
                {**detail, "loc": (location, name, *detail["loc"])}
                for detail in error.errors(include_url=False)
            )
            return None

    def check(self) -> None:
        """422 when any parameter was invalid."""
        if self.errors:
            raise RequestValidationError(self.errors)


def model_response(model: BaseModel, headers_from: Response, status_code: int = 200) -> Response:
    """A JSON response of `model`, as FastAPI serialises a response model (by alias), with
    the headers the endpoint set on its `Response` parameter."""
    response = Response(
        model.__pydantic_serializer__.to_json(model, by_alias=True),
        status_code=status_code,
        media_type="application/json",
    )
    response.raw_headers.extend(
        (name, value) for name, value in headers_from.raw_headers if name != b"content-length"
    )
    return response
