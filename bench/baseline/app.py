"""The baseline's routes, at the registry's paths."""

from __future__ import annotations

import datetime as dt

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bench.baseline import customers, orders, reports
from bench.baseline.common import json_response, lifespan


async def ready(_request: Request) -> Response:
    return json_response({"status": "ok", "at": dt.datetime.now(dt.UTC)})


app = Starlette(
    routes=[
        Route("/api/v1/customers/{customer_id}", customers.read_customer, methods=["GET"]),
        Route("/api/v1/customers", customers.search_customers, methods=["GET"]),
        Route("/api/v1/customers", customers.create_customer, methods=["POST"]),
        Route("/api/v1/auth/token", customers.login, methods=["POST"]),
        Route("/api/v1/orders", orders.create_order, methods=["POST"]),
        Route("/api/v1/billing/invoices", orders.invoice_feed, methods=["GET"]),
        Route("/api/v1/exports/mailing-labels", reports.mailing_labels, methods=["GET"]),
        Route(
            "/api/v1/gdpr-requests/{request_id:uuid}/access-report",
            reports.access_report,
            methods=["GET"],
        ),
        Route("/readyz", ready, methods=["GET"]),
    ],
    lifespan=lifespan,
)
