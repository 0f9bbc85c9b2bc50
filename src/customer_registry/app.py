"""The application factory."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi_offline import FastAPIOffline

from customer_registry import __version__
from customer_registry.accounts.router import auth_router, users_router
from customer_registry.audit.chain import background_sealer
from customer_registry.audit.router import router as audit_router
from customer_registry.auth.tokens import TokenCodec
from customer_registry.config import Settings, get_settings
from customer_registry.core.database import create_engine, create_session_factory
from customer_registry.core.errors import Problem, install_error_handlers
from customer_registry.core.middleware import (
    BodySizeLimitMiddleware,
    ControlCharacterGuardMiddleware,
    RequestIdMiddleware,
)
from customer_registry.customers.router import router as customers_router
from customer_registry.health import router as health_router

DESCRIPTION = """
The customer register of the company, as its privacy notice describes it: customers and
their orders, consents, and the data subjects' requests. Every read and every change of
personal data is recorded in the audit log.

Staff log in at `POST /api/v1/auth/token` (the **Authorize** button); machine clients send
`X-API-Key`. Errors are `application/problem+json` (RFC 9457).
"""

OPENAPI_TAGS = [
    {"name": "auth", "description": "Staff login (OAuth2 password flow)."},
    {"name": "users", "description": "Personal staff accounts and roles."},
    {"name": "customers", "description": "Customers of the register."},
    {"name": "audit", "description": "The audit log of reads and changes."},
    {"name": "health", "description": "Liveness and readiness probes."},
]


def create_app(settings: Settings | None = None) -> FastAPI:
    """A configured application with its own engine."""
    settings = settings or get_settings()
    engine = create_engine(settings)
    session_factory = create_session_factory(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        async with background_sealer(
            session_factory,
            interval=settings.audit_seal_interval_seconds,
            batch_size=settings.audit_seal_batch_size,
        ):
            yield
        await engine.dispose()

    app: FastAPI = FastAPIOffline(
        title="customer-registry",
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
        swagger_ui_parameters={"persistAuthorization": False},
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.state.token_codec = TokenCodec(
        secret=settings.signing_secret(),
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        lifetime=dt.timedelta(minutes=settings.access_token_minutes),
    )
    install_error_handlers(app)
    app.add_middleware(ControlCharacterGuardMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_body_bytes)
    app.add_middleware(RequestIdMiddleware)
    for router in (health_router, auth_router, users_router, customers_router, audit_router):
        app.include_router(router)
    _register_problem_schema(app)
    return app


def _register_problem_schema(app: FastAPI) -> None:
    """Put `Problem`, which every error response refers to, in the OpenAPI components."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            problem = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
            components.update(problem.pop("$defs", {}))
            components["Problem"] = problem
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
