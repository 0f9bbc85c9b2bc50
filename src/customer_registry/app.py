"""The application factory."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.routing import APIRoute
from fastapi.telemetry import TelemetryConfig
from fastapi_offline import FastAPIOffline

from customer_registry import __version__
from customer_registry.accounts.router import auth_router, users_router
from customer_registry.address_updates.router import router as address_updates_router
from customer_registry.audit.chain import background_sealer
from customer_registry.audit.checkpoints import background_checkpoints
from customer_registry.audit.router import router as audit_router
from customer_registry.auth.api_keys import ApiKeyHasher
from customer_registry.auth.cache import AccountStates, VerifiedTokens
from customer_registry.auth.tokens import TokenCodec
from customer_registry.config import Settings, get_settings
from customer_registry.consents.router import router as consents_router
from customer_registry.console import mount_console
from customer_registry.core.database import (
    create_engine,
    create_read_session_factory,
    create_session_factory,
)
from customer_registry.core.errors import Problem, install_error_handlers
from customer_registry.core.logs import log_event
from customer_registry.core.metrics import instrument_pool, mark_process_dead
from customer_registry.core.middleware import (
    BodySizeLimitMiddleware,
    ControlCharacterGuardMiddleware,
    ErrorBoundaryMiddleware,
    RequestIdMiddleware,
    RequestLogMiddleware,
)
from customer_registry.customers.router import router as customers_router
from customer_registry.exports.router import router as exports_router
from customer_registry.gdpr_requests.router import router as gdpr_requests_router
from customer_registry.health import router as health_router
from customer_registry.monitoring import router as monitoring_router
from customer_registry.notices.router import router as notices_router
from customer_registry.orders.router import billing_router, customer_orders_router
from customer_registry.orders.router import router as orders_router
from customer_registry.partners.router import disclosures_router
from customer_registry.partners.router import router as recipients_router
from customer_registry.privacy_notice.router import router as privacy_notice_router
from customer_registry.restrictions.router import router as restrictions_router
from customer_registry.retention.router import router as retention_router
from customer_registry.statistics.router import router as statistics_router

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
    {"name": "orders", "description": "Customers' orders, their lines and invoices."},
    {
        "name": "billing",
        "description": "The finance partner's view: invoiced orders and billing data (R12). "
        "Every response is a logged disclosure.",
    },
    {
        "name": "recipients",
        "description": "Organisations that receive data, their API keys, and the disclosures.",
    },
    {
        "name": "gdpr-requests",
        "description": "Data-subject requests, handled within the deadlines of GDPR Art. 12(3).",
    },
    {"name": "consents", "description": "Consents and objections per purpose (R5, R20)."},
    {"name": "restrictions", "description": "Restriction of processing (R23)."},
    {"name": "exports", "description": "Mailing labels for direct advertising (R5)."},
    {"name": "statistics", "description": "Aggregates with small cells suppressed (R2)."},
    {"name": "address-updates", "description": "Name and address updates (R10)."},
    {"name": "audit", "description": "The audit log of reads and changes."},
    {"name": "retention", "description": "Erasure of customers past the retention period."},
    {"name": "privacy-notice", "description": "The register's privacy notice (public)."},
    {"name": "health", "description": "Liveness and readiness probes."},
]


def operation_id(route: APIRoute) -> str:
    """The operationId of a route: its function's name (`create_customer`), which generated
    clients use as the method name; unique, as a test checks."""
    return route.name


NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False}


def create_app(settings: Settings | None = None) -> FastAPI:
    """A configured application with its own engine."""
    settings = settings or get_settings()
    engine = create_engine(settings)
    session_factory = create_session_factory(engine)

    instrument_pool(engine, settings.database_pool_size)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        log_event(
            "startup",
            version=__version__,
            environment=settings.env.value,
            database=engine.dialect.name,
            pid=os.getpid(),
        )
        # On PostgreSQL the sealer and the checkpoints, background jobs, run on a connection
        # of their own with a job's time limits (opened when first used). The sealer stops
        # first, so that the last checkpoint seals and signs everything.
        sealer_engine = (
            engine if settings.is_sqlite else create_engine(settings, job=True, pool_size=1)
        )
        job_sessions = create_session_factory(sealer_engine)
        async with (
            background_checkpoints(
                job_sessions,
                settings.audit_checkpoint_key(),
                settings.audit_checkpoint_path(),
                interval=settings.audit_checkpoint_interval_seconds,
                seal_at_end=settings.audit_seal_interval_seconds > 0,
            ),
            background_sealer(
                job_sessions,
                interval=settings.audit_seal_interval_seconds,
                batch_size=settings.audit_seal_batch_size,
            ),
        ):
            yield
        if sealer_engine is not engine:
            await sealer_engine.dispose()
        await engine.dispose()
        log_event("shutdown", pid=os.getpid())
        mark_process_dead(os.getpid())

    app: FastAPI = FastAPIOffline(
        title="customer-registry",
        generate_unique_id_function=operation_id,
        version=__version__,
        description=DESCRIPTION,
        openapi_tags=OPENAPI_TAGS,
        lifespan=lifespan,
        swagger_ui_parameters={"persistAuthorization": False},
        # FastAPI would report every request to any OpenTelemetry provider in the process,
        # with its query string: a search's name or e-mail address. The service's own
        # request log and metrics name routes, never values.
        telemetry=NO_TELEMETRY,
    )
    app.state.settings = settings
    app.state.engine = engine
    app.state.session_factory = session_factory
    app.state.read_session_factory = create_read_session_factory(engine)
    app.state.token_codec = TokenCodec(
        secret=settings.signing_secret(),
        issuer=settings.token_issuer,
        audience=settings.token_audience,
        lifetime=dt.timedelta(minutes=settings.access_token_minutes),
    )
    app.state.verified_tokens = VerifiedTokens(app.state.token_codec)
    app.state.account_states = AccountStates(settings.account_cache_seconds)
    app.state.api_key_hasher = ApiKeyHasher(settings.signing_secret())
    install_error_handlers(app)
    app.add_middleware(ControlCharacterGuardMiddleware)
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=settings.max_request_body_bytes)
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["*"],
            allow_headers=["*"],
            expose_headers=["ETag", "Location", "X-Request-ID"],
        )
    app.add_middleware(ErrorBoundaryMiddleware)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(RequestLogMiddleware)
    # A request is matched against the routes one by one, in this order: the busiest
    # routers first (the web shop's, staff's and the finance partner's everyday calls).
    for router in (
        customers_router,
        orders_router,
        billing_router,
        customer_orders_router,
        auth_router,
        consents_router,
        users_router,
        restrictions_router,
        recipients_router,
        disclosures_router,
        notices_router,
        gdpr_requests_router,
        exports_router,
        statistics_router,
        address_updates_router,
        audit_router,
        privacy_notice_router,
        retention_router,
        health_router,
        monitoring_router,
    ):
        app.include_router(router)
    mount_console(app)
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
