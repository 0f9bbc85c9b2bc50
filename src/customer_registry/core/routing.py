"""Routes documented from their docstrings."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute


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
