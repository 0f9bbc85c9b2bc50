"""The staff console at `/console`: server-rendered pages over the register's services."""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

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


def mount_console(app: FastAPI) -> None:
    """Serve the console under `/console`, sharing the application's state (database,
    settings, token codec), outside the API's OpenAPI document."""
    console = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    console.state = app.state
    console.include_router(router)
    console.mount("/static", StaticFiles(directory=STATIC_DIRECTORY), name="static")
    console.add_exception_handler(RegistryError, registry_error_page)
    console.add_exception_handler(RequestValidationError, validation_error_page)
    console.add_exception_handler(StarletteHTTPException, http_error_page)
    console.add_middleware(ConsoleHeaders, settings_secure=cookie_is_secure(app.state.settings))
    app.mount(PREFIX, console)
