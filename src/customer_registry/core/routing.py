"""Routes documented from their docstrings, and routes served by handlers of their own."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Coroutine
from typing import Any, ClassVar, TypeVar

from fastapi import APIRouter, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, TypeAdapter, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send


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
    """A route whose requests go to a handler of its own, not to FastAPI's request handling.

    On every request FastAPI solves the endpoint's dependencies one by one, validates its
    parameters, and validates and serialises its return value; on the hottest routes that
    is most of a request's cost. A direct route keeps its endpoint and what FastAPI derives
    from the endpoint's signature (the OpenAPI operation, path and methods), but `handler`
    serves it: it reads the parameters (`RequestParameters`), does by hand what the
    endpoint's dependencies do, calls the endpoint, and serialises its answer
    (`model_response`). Errors raised there reach the application's handlers as usual.
    """

    handler: ClassVar[Handler]

    def __init__(self, path: str, endpoint: Any, **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        self.app = _serving(type(self).handler)

    def get_route_handler(self) -> Handler:
        return type(self).handler


def _serving(handler: Handler) -> ASGIApp:
    """The ASGI application of a direct route: the handler's response, nothing around it.

    FastAPI's own wrapping is for what the handler does not use: exit stacks for
    dependencies with `yield`, and route-level exception handling, which the application's
    exception middleware does with the same handlers. Request bodies are bounded by the
    application's middleware.
    """

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        response = await handler(Request(scope, receive, send))
        await response(scope, receive, send)

    return app


def served_by(handler: Handler) -> type[DirectRoute]:
    """The route class for an endpoint that `handler` serves."""
    return type(
        f"DirectRoute_{handler.__name__}", (DirectRoute,), {"handler": staticmethod(handler)}
    )


T = TypeVar("T")


class RequestParameters:
    """A request's path and query parameters, validated as FastAPI validates them.

    Invalid ones are collected and reported together by `check`, as FastAPI's 422 does.
    """

    def __init__(self, request: Request) -> None:
        self.request = request
        self.errors: list[Any] = []

    def path(self, name: str, adapter: TypeAdapter[T]) -> T | None:
        return self._validated("path", name, adapter, self.request.path_params[name])

    def query(self, name: str, adapter: TypeAdapter[T]) -> T | None:
        """The parameter, or None when the request has none."""
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
