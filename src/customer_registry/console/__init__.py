"""The staff console at `/console`: server-rendered pages over the register's services."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import State
from starlette.exceptions import HTTPException as StarletteHTTPException

from customer_registry.auth.cache import VerifiedTokens
from customer_registry.auth.tokens import TokenCodec
from customer_registry.console.rendering import (
    PREFIX,
    ConsoleHeaders,
    http_error_page,
    registry_error_page,
    validation_error_page,
)
from customer_registry.console.sessions import cookie_is_secure
from customer_registry.console.views import router
from customer_registry.core.errors import RegistryError

STATIC_DIRECTORY = Path(__file__).parent / "static"


class ConsoleState(State):
    """The application's state (database, settings, caches), except for the access tokens:
    the console's are issued for an audience of their own, so that the API, which checks
    its audience, refuses them as bearer tokens and only the console's pages take them."""

    def __init__(self, app: FastAPI) -> None:
        api_codec: TokenCodec = app.state.token_codec
        codec = dataclasses.replace(api_codec, audience=f"{api_codec.audience}-console")
        super().__init__(
            {"application": app, "token_codec": codec, "verified_tokens": VerifiedTokens(codec)}
        )

    def __getattr__(self, key: str) -> Any:
        try:
            return super().__getattr__(key)
        except AttributeError:
            return getattr(self._state["application"].state, key)


def mount_console(app: FastAPI) -> None:
    """Serve the console under `/console`, outside the API's OpenAPI document."""
    console = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    console.state = ConsoleState(app)
    console.include_router(router)
    console.mount("/static", StaticFiles(directory=STATIC_DIRECTORY), name="static")
    console.add_exception_handler(RegistryError, registry_error_page)
    console.add_exception_handler(RequestValidationError, validation_error_page)
    console.add_exception_handler(StarletteHTTPException, http_error_page)
    console.add_middleware(ConsoleHeaders, settings_secure=cookie_is_secure(app.state.settings))
    app.mount(PREFIX, console)
