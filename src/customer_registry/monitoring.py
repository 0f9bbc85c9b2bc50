"""`GET /metrics` for Prometheus, enabled by configuring a bearer token for the scraper."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from customer_registry.config import Settings
from customer_registry.core.errors import NotFound, Unauthorized
from customer_registry.core.metrics import CONTENT_TYPE, render_metrics
from customer_registry.core.routing import documented_router

router = documented_router(tags=["health"])

_bearer = HTTPBearer(auto_error=False)


async def require_metrics_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """404 while metrics are disabled (no token configured); 401 without the right token."""
    settings: Settings = request.app.state.settings
    if settings.metrics_token is None:
        raise NotFound("Not Found")
    expected = settings.metrics_token.get_secret_value().encode()
    given = credentials.credentials.encode() if credentials is not None else b""
    if not hmac.compare_digest(given, expected):
        raise Unauthorized("The metrics token is missing or wrong.")


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(require_metrics_token)])
async def metrics(request: Request) -> Response:
    """Prometheus metrics of the service (needs the configured metrics token)."""
    body = await render_metrics(request.app.state.session_factory)
    return Response(body, media_type=CONTENT_TYPE)
