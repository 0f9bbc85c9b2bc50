"""The baseline: the same audited work as the registry, on raw asyncpg with no framework.

A minimal Starlette app answering with orjson: each route does in SQL what the registry's
route does (the rows it reads and the audit rows it writes, in one transaction) and no
more. No token verification: it is the floor the registry is measured against.

    BENCH_DATABASE_DSN=postgresql://... BENCH_ACTOR_ID=<uuid> uvicorn bench.baseline:app
"""

from bench.baseline.app import app

__all__ = ["app"]
