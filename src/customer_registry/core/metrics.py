"""Prometheus metrics of the process, and database gauges (`database_gauges.register`)
read when `/metrics` is scraped; labels are bounded vocabularies, never ids."""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from customer_registry.core.logs import describe_exception

MULTIPROCESS_DIRECTORY_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

logger = logging.getLogger(__name__)

HTTP_REQUESTS = Counter(
    "customer_registry_http_requests",
    "HTTP requests answered, by method, route template and status.",
    ["method", "route", "status"],
)
HTTP_REQUEST_DURATION = Histogram(
    "customer_registry_http_request_duration_seconds",
    "Time to answer an HTTP request, by method, route template and status.",
    ["method", "route", "status"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
AUDIT_EVENTS_WRITTEN = Counter(
    "customer_registry_audit_events_written",
    "Audit events inserted (they commit or roll back with their request).",
)
LOGINS_THROTTLED = Counter(
    "customer_registry_logins_throttled",
    "Login attempts refused because the account or address is throttled.",
)
DATABASE_CONNECTIONS_CHECKED_OUT = Gauge(
    "customer_registry_database_connections_checked_out",
    "Database connections currently taken from the pool (in use, or kept for the next "
    "request's statements: at most the pool's size per process).",
    multiprocess_mode="livesum",
)
DATABASE_POOL_SIZE = Gauge(
    "customer_registry_database_pool_size",
    "Configured size of the database connection pool (before overflow).",
    multiprocess_mode="livesum",
)


# The label children of each (method, route, status): looking them up costs more than
# counting. Bounded by the routes of the app times the statuses they answer with.
_request_children: dict[tuple[str, str, int], tuple[Counter, Histogram]] = {}


def observe_request(method: str, route: str, status: int, seconds: float) -> None:
    key = (method, route, status)
    children = _request_children.get(key)
    if children is None:
        labels = (method, route, str(status))
        children = (HTTP_REQUESTS.labels(*labels), HTTP_REQUEST_DURATION.labels(*labels))
        _request_children[key] = children
    children[0].inc()
    children[1].observe(seconds)


def instrument_pool(engine: AsyncEngine, pool_size: int) -> None:
    """Keep the checked-out connections gauge current for this engine's pool."""
    DATABASE_POOL_SIZE.set(pool_size)

    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(*_arguments: Any) -> None:
        DATABASE_CONNECTIONS_CHECKED_OUT.inc()

    @event.listens_for(engine.sync_engine, "checkin")
    def _on_checkin(*_arguments: Any) -> None:
        DATABASE_CONNECTIONS_CHECKED_OUT.dec()


@dataclass(frozen=True, slots=True)
class GaugeReading:
    """One gauge family read from the database: label values to the current figure."""

    name: str
    documentation: str
    labels: tuple[str, ...] = ()
    values: Mapping[tuple[str, ...], float] = field(default_factory=dict)


DatabaseSampler = Callable[[AsyncSession], Awaitable[Iterable[GaugeReading]]]


class DatabaseGauges:
    """Samplers that read gauges from the database each time metrics are scraped."""

    def __init__(self) -> None:
        self._samplers: list[DatabaseSampler] = []

    def register(self, sampler: DatabaseSampler) -> DatabaseSampler:
        """Add a sampler (usable as a decorator); registering one twice has no effect."""
        if sampler not in self._samplers:
            self._samplers.append(sampler)
        return sampler

    def unregister(self, sampler: DatabaseSampler) -> None:
        if sampler in self._samplers:
            self._samplers.remove(sampler)

    async def read(
        self, session_factory: async_sessionmaker[AsyncSession]
    ) -> list[GaugeMetricFamily]:
        """Every registered sampler's gauges; a failing sampler is logged and left out."""
        families: list[GaugeMetricFamily] = []
        if not self._samplers:
            return families
        async with session_factory() as session:
            for sampler in list(self._samplers):
                try:
                    readings = list(await sampler(session))
                except Exception as error:  # a broken gauge must not hide the other metrics
                    await session.rollback()
                    logger.warning(
                        "database gauge failed",
                        extra={
                            "sampler": getattr(sampler, "__qualname__", repr(sampler)),
                            "error": describe_exception(error),
                        },
                    )
                    continue
                families.extend(_family(reading) for reading in readings)
            await session.rollback()
        return families


database_gauges = DatabaseGauges()


def _family(reading: GaugeReading) -> GaugeMetricFamily:
    family = GaugeMetricFamily(reading.name, reading.documentation, labels=list(reading.labels))
    for label_values, value in reading.values.items():
        family.add_metric(list(label_values), value)
    return family


class _Families(Collector):
    def __init__(self, families: list[GaugeMetricFamily]) -> None:
        self.families = families

    def collect(self) -> Iterator[GaugeMetricFamily]:
        return iter(self.families)


def is_multiprocess() -> bool:
    return bool(os.environ.get(MULTIPROCESS_DIRECTORY_VARIABLE))


def process_metrics() -> bytes:
    """The exposition of this process, or of every worker's files in multi-process mode."""
    if is_multiprocess():
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry)
    return generate_latest(REGISTRY)


async def render_metrics(session_factory: async_sessionmaker[AsyncSession]) -> bytes:
    """The full exposition: process metrics followed by the database gauges."""
    output = process_metrics()
    families = await database_gauges.read(session_factory)
    if families:
        registry = CollectorRegistry(auto_describe=False)
        registry.register(_Families(families))
        output += generate_latest(registry)
    return output


def mark_process_dead(pid: int) -> None:
    """Drop a stopped worker's live gauges from the multi-process files."""
    if is_multiprocess():
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
