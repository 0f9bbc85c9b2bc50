"""Migrations are the only way the schema is made: they match the models and reverse cleanly."""

from __future__ import annotations

from typing import Any

import anyio.to_thread
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine

from customer_registry.migrations_runner import downgrade, upgrade
from customer_registry.models import Base

pytestmark = pytest.mark.anyio


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_matches_models_and_downgrade_empties(database_url: str) -> None:
    await anyio.to_thread.run_sync(downgrade, database_url, "base")
    await anyio.to_thread.run_sync(upgrade, database_url, "head")
    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
        assert differences == []

        await anyio.to_thread.run_sync(downgrade, database_url, "base")
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda sync: inspect(sync).get_table_names())
        assert set(tables) <= {"alembic_version"}
    finally:
        await engine.dispose()
