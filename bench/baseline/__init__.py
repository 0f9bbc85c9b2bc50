"""The baseline: the same audited work as the registry, on raw asyncpg with no framework.

A minimal Starlette app answering with orjson: each route does in SQL what the registry's
route does (the rows it reads, the audit, disclosure and idempotency rows it writes, in one
transaction) and no more. No token or API-key verification: it is the floor the registry
is measured against.

    BENCH_DATABASE_DSN=postgresql://... BENCH_ACTOR_ID=<uuid> uvicorn bench.baseline:app
"""

from bench.baseline.app import app

__all__ = ["app"]
