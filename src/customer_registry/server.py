"""Running the API under uvicorn: logging, trusted proxies, graceful shutdown, workers."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING, Any

from customer_registry.config import Settings
from customer_registry.core.logs import log_event, logging_config
from customer_registry.core.metrics import MULTIPROCESS_DIRECTORY_VARIABLE

if TYPE_CHECKING:
    from fastapi import FastAPI

APP_FACTORY = "customer_registry.server:create_served_app"


def create_served_app() -> FastAPI:
    """The application as a server process runs it (each worker calls this once)."""
    from customer_registry.app import create_app

    app = create_app()
    if os.environ.get(WAITING_FOR_DATABASE_VARIABLE):
        _prepare_when_reachable(app)
    return app


# Set by `serve` for its workers when the database could not be reached at start.
WAITING_FOR_DATABASE_VARIABLE = "_CUSTOMER_REGISTRY_WAITING_FOR_DATABASE"
# Seconds between attempts to reach the database: doubled after each, up to the last.
RETRY_DELAYS = (0.1, 0.2, 0.4, 0.8, 1.0)


def _prepare_when_reachable(app: FastAPI) -> None:
    """While the application runs, wait for the database and then do what `serve` does at a
    start with the database up: check the schema, make the first administrator."""
    original = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(served: FastAPI) -> AsyncIterator[Any]:
        async with original(served) as state:
            task = asyncio.create_task(_wait_for_database(served), name="wait-for-database")
            try:
                yield state
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    app.router.lifespan_context = lifespan


async def _wait_for_database(app: FastAPI) -> None:
    from customer_registry.accounts.bootstrap import create_account
    from customer_registry.cli import _bootstrap_admin_data
    from customer_registry.migrations_runner import current_revision, head_revision

    settings: Settings = app.state.settings
    attempt = 0
    said_not_migrated = False
    while True:
        try:
            revision = await current_revision(app.state.engine)
        except Exception as error:  # unreachable still: try again
            attempt += 1
            if attempt & (attempt - 1) == 0:  # the 1st, 2nd, 4th, 8th... failure
                log_event(
                    "waiting_for_database",
                    logging.WARNING,
                    attempts=attempt,
                    error=type(error).__name__,
                )
            await asyncio.sleep(RETRY_DELAYS[min(attempt, len(RETRY_DELAYS)) - 1])
            continue
        if revision == head_revision():
            break
        if not said_not_migrated:  # /readyz answers 503 until `migrate` has run
            log_event(
                "database_not_migrated",
                logging.ERROR,
                detail="waiting for `customer-registry migrate`",
            )
            said_not_migrated = True
        await asyncio.sleep(RETRY_DELAYS[-1])
    log_event("database_reachable", attempts=attempt)
    try:
        admin = _bootstrap_admin_data(settings)
        if admin is not None:
            await create_account(settings, admin, only_if_none=True)
    except Exception as error:
        # Another worker made it at the same time, or the database went again: the
        # administrator is made by the next start.
        log_event("bootstrap_admin_failed", logging.WARNING, error=type(error).__name__)


def server_options(settings: Settings) -> dict[str, Any]:
    """Uvicorn options that come from the settings (not from the command line).

    Forwarded headers (`X-Forwarded-For`, `X-Forwarded-Proto`) are believed only from the
    trusted proxies, so that the client address the audit records is the real client's and
    cannot be forged by anyone else. The HTTP protocol closes connections whose headers do
    not arrive in time (`HeaderTimeoutProtocol`); beyond `max_connections` connections a
    request is answered 503 by uvicorn.
    """
    return {
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": list(settings.trusted_proxies) or None,
        "timeout_graceful_shutdown": settings.shutdown_timeout_seconds,
        "timeout_keep_alive": settings.keep_alive_timeout_seconds,
        "limit_concurrency": settings.max_connections,
        "http": HTTP_PROTOCOL,
    }


HTTP_PROTOCOL = "customer_registry.server:HeaderTimeoutProtocol"


def _http_protocol_base() -> type[Any]:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    return HttpToolsProtocol


class HeaderTimeoutProtocol(_http_protocol_base()):  # type: ignore[misc]
    """Uvicorn's fast HTTP/1.1 protocol, which closes a connection whose request headers
    are not complete within the header timeout.

    The time runs from the connection's opening and, on a kept-alive connection, from the
    first byte of each later request; complete headers stop it. Uvicorn itself only limits
    the idle time between requests, so a client sending half a request (slowloris) would
    hold the connection for ever. The timeout is read from the settings of the process.
    """

    def __init__(self, *arguments: Any, **options: Any) -> None:
        super().__init__(*arguments, **options)
        from customer_registry.config import get_settings

        self.header_timeout: float = get_settings().header_timeout_seconds
        self.header_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self._start_header_timer()

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if self.header_timer is None:
            self._start_header_timer()

    def on_headers_complete(self) -> None:
        self._stop_header_timer()
        super().on_headers_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_header_timer()
        super().connection_lost(exc)

    def _start_header_timer(self) -> None:
        self.header_timer = self.loop.call_later(self.header_timeout, self._headers_too_late)

    def _stop_header_timer(self) -> None:
        if self.header_timer is not None:
            self.header_timer.cancel()
            self.header_timer = None

    def _headers_too_late(self) -> None:
        self.header_timer = None
        if self.cycle is not None and not self.cycle.response_complete:
            # An earlier request's answer is still being made: the connection closes after it.
            self.cycle.keep_alive = False
            return
        if not self.transport.is_closing():
            self.transport.close()


@contextmanager
def metrics_directory(workers: int) -> Iterator[None]:
    """With several workers, a fresh directory where each keeps its metrics for `/metrics`.

    An operator-provided `PROMETHEUS_MULTIPROC_DIR` is used as it is (and must be emptied
    between runs); otherwise a temporary directory is made and removed at exit.
    """
    if workers <= 1 or os.environ.get(MULTIPROCESS_DIRECTORY_VARIABLE):
        yield
        return
    directory = tempfile.mkdtemp(prefix="customer-registry-metrics-")
    os.environ[MULTIPROCESS_DIRECTORY_VARIABLE] = directory
    try:
        yield
    finally:
        os.environ.pop(MULTIPROCESS_DIRECTORY_VARIABLE, None)
        shutil.rmtree(directory, ignore_errors=True)


def run_server(
    settings: Settings, *, host: str, port: int, workers: int, wait_for_database: bool = False
) -> None:
    """Serve until stopped; SIGTERM lets in-flight requests finish within the grace period.

    With `wait_for_database`, each worker waits for the database in the background and
    then checks the schema and makes the first administrator.
    """
    import uvicorn

    if wait_for_database:
        os.environ[WAITING_FOR_DATABASE_VARIABLE] = "1"
    with metrics_directory(workers):
        uvicorn.run(
            APP_FACTORY,
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_config=logging_config(settings.log_level),
            log_level=settings.log_level.lower(),
            access_log=False,
            # The fast event loop and HTTP parser of uvicorn[standard] (the parser in
            # `server_options`).
            loop="uvloop",
            **server_options(settings),
        )
