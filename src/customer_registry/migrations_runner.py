"""Running Alembic from the application: locate the scripts, upgrade, and read the revision."""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

from customer_registry.core.logs import log_event
from customer_registry.core.progress import Progress


def migrations_directory() -> Path:
    """The Alembic scripts: inside the installed package, or `migrations/` in a checkout."""
    packaged = Path(str(resources.files("customer_registry"))) / "migrations"
    if (packaged / "env.py").exists():
        return packaged
    checkout = Path(__file__).resolve().parents[2] / "migrations"
    if (checkout / "env.py").exists():
        return checkout
    raise RuntimeError("the migration scripts are missing from this installation")


def alembic_config(database_url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_directory()))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["configure_logging"] = False
    return config


@lru_cache(maxsize=1)
def head_revision() -> str | None:
    script = ScriptDirectory.from_config(alembic_config("sqlite://"))
    return script.get_current_head()


def upgrade(database_url: str, revision: str = "head", progress: Progress | None = None) -> None:
    """Bring the schema to `revision`; blocking (call from a thread inside an event loop).

    Each applied migration is logged as a `migration_applied` event and advances `progress`.
    """

    def applied(*, step: Any, **_context: Any) -> None:
        log_event(
            "migration_applied",
            revision=",".join(step.destination_revision_ids) or "base",
            direction="upgrade" if step.is_upgrade else "downgrade",
        )
        if progress is not None:
            progress.advance()

    config = alembic_config(database_url)
    config.attributes["on_version_apply"] = [applied]
    command.upgrade(config, revision)


def downgrade(database_url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(database_url), revision)


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""
    async with engine.connect() as connection:
        has_table = await connection.run_sync(
            lambda sync: inspect(sync).has_table("alembic_version")
        )
        if not has_table:
            return None
        revision = await connection.scalar(text("SELECT version_num FROM alembic_version"))
        return str(revision) if revision is not None else None
