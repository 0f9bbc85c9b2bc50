"""Running the API under uvicorn: logging, trusted proxies, graceful shutdown, workers."""

from __future__ import annotations

import gc
import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from customer_registry.config import Settings
from customer_registry.core.logs import logging_config
from customer_registry.core.metrics import MULTIPROCESS_DIRECTORY_VARIABLE

if TYPE_CHECKING:
    from fastapi import FastAPI

APP_FACTORY = "customer_registry.server:create_served_app"


def create_served_app() -> FastAPI:
    """The application as a server process runs it (each worker calls this once).

    What exists once the application is built (modules, routes, schemas, the engine) lives
    as long as the process: `gc.freeze` takes it out of the collector's view, so that a
    full collection walks only what requests allocate instead of pausing every request in
    flight for tens of milliseconds.
    """
    from customer_registry.app import create_app

    app = create_app()
    gc.collect()
    gc.freeze()
    return app


def server_options(settings: Settings) -> dict[str, Any]:
    """Uvicorn options that come from the settings (not from the command line).

    Forwarded headers (`X-Forwarded-For`, `X-Forwarded-Proto`) are believed only from the
    trusted proxies, so that the client address the audit records is the real client's and
    cannot be forged by anyone else.
    """
    return {
        "proxy_headers": bool(settings.trusted_proxies),
        "forwarded_allow_ips": list(settings.trusted_proxies) or None,
        "timeout_graceful_shutdown": settings.shutdown_timeout_seconds,
    }


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


def run_server(settings: Settings, *, host: str, port: int, workers: int) -> None:
    """Serve until stopped; SIGTERM lets in-flight requests finish within the grace period."""
    import uvicorn

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
            # The fast event loop and HTTP parser of uvicorn[standard].
            loop="uvloop",
            http="httptools",
            **server_options(settings),
        )
