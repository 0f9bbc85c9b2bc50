"""The tamper-evident audit chain: sealing in order, and verification that names the damage."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import anyio
import anyio.to_thread
import pytest
from fastapi import FastAPI
from sqlalchemy import insert, select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from customer_registry.audit.chain import (
    CANONICAL_COLUMNS,
    GENESIS_HASH,
    VerifyReport,
    canonical,
    chain_hash,
    seal,
    verify,
)
from customer_registry.audit.checkpoints import read_checkpoints, sign
from customer_registry.models import AuditChainEntry, AuditEvent
from tests.factories import TEST_SECRET, is_postgres
from tests.processes import run

pytestmark = pytest.mark.anyio

GRACE = dt.timedelta(minutes=5)


def factory(app: FastAPI) -> async_sessionmaker[AsyncSession]:
    session_factory: async_sessionmaker[AsyncSession] = app.state.session_factory
    return session_factory


def event_row(number: int, **overrides: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "occurred_at": dt.datetime.now(dt.UTC),
        "action": "read",
        "actor_type": "user",
        "actor_id": f"actor-{number % 7}",
        "actor_role": "staff",
        "entity": "customer",
        "entity_id": f"entity-{number}",
        "customer_id": None,
        "fields": ["email", "first_name"],
        "request_id": f"request-{number}",
        "client_address": "127.0.0.1",
        "purpose": None,
    }
    row.update(overrides)
    return row


async def add_events(app: FastAPI, count: int, **overrides: Any) -> list[int]:
    async with factory(app)() as session, session.begin():
        await session.execute(insert(AuditEvent), [event_row(n, **overrides) for n in range(count)])
        ids = await session.scalars(select(AuditEvent.id).order_by(AuditEvent.id.desc()))
        return sorted(ids.all()[:count])


async def execute(database_url: str, *statements: str) -> None:
    """Run statements as the database owner, the way a superuser could tamper."""
    engine = create_async_engine(database_url)
    try:
        async with engine.begin() as connection:
            for statement in statements:
                await connection.execute(text(statement))
    finally:
        await engine.dispose()


def without_guards(*statements: str) -> list[str]:
    """Statements with the append-only triggers (and foreign keys) out of the way."""
    if is_postgres():
        return ["SET session_replication_role = replica", *statements]
    drops = [
        f"DROP TRIGGER {table}_no_{operation}"
        for table in ("audit_events", "audit_chain")
        for operation in ("update", "delete")
    ]
    return [*drops, *statements]


async def check(app: FastAPI, **options: Any) -> VerifyReport:
    return await verify(factory(app), unsealed_grace=GRACE, **options)


def messages(report: VerifyReport) -> list[str]:
    return [problem.message for problem in report.problems]


class TestSealing:
    async def test_sealed_chain_verifies_and_sealing_again_adds_nothing(self, app: FastAPI) -> None:
        ids = await add_events(app, 25)

        assert await seal(factory(app), batch_size=10) == 25
        assert await seal(factory(app), batch_size=10) == 0
        report = await check(app)

        assert report.ok, report
        assert report.entries == 25
        assert report.head is not None
        assert report.head[0] == 25
        async with factory(app)() as session:
            chain = (
                await session.execute(
                    select(AuditChainEntry.event_id, AuditChainEntry.hash).order_by(
                        AuditChainEntry.position
                    )
                )
            ).all()
            first_event = (
                await session.execute(select(*AuditEvent.__table__.columns).limit(1))
            ).one()
        assert [event_id for event_id, _ in chain] == ids
        assert chain[0][1] == chain_hash(GENESIS_HASH, first_event._mapping)
        assert report.head[1] == chain[-1][1]

    async def test_events_added_later_continue_the_chain(self, app: FastAPI) -> None:
        await add_events(app, 3)
        await seal(factory(app))
        head = (await check(app)).head
        assert head is not None

        await add_events(app, 4)
        await seal(factory(app))
        report = await check(app, expected_head=head)

        assert report.ok, messages(report)
        assert report.entries == 7

    def test_canonical_encoding_covers_every_column(self) -> None:
        columns = {column.name for column in AuditEvent.__table__.columns}

        assert set(CANONICAL_COLUMNS) == columns

    def test_canonical_encoding_is_stable(self) -> None:
        event = {
            "id": 7,
            "occurred_at": dt.datetime(2026, 11, 27, 15, 0, 1, 5, tzinfo=dt.UTC),
            "action": "read",
            "actor_type": "user",
            "actor_id": "a",
            "actor_role": None,
            "entity": "customer",
            "entity_id": "e",
            "customer_id": None,
            "fields": ["email"],
            "request_id": "r",
            "client_address": None,
            "purpose": "Ä",
        }

        assert (
            canonical(event)
            == (
                '{"action":"read","actor_id":"a","actor_role":null,"actor_type":"user",'
                '"client_address":null,"customer_id":null,"entity":"customer","entity_id":"e",'
                '"fields":["email"],"id":7,"occurred_at":"2026-11-27T15:00:01.000005Z",'
                '"purpose":"Ä","request_id":"r"}'
            ).encode()
        )

    @pytest.mark.parametrize(
        "changes",
        [
            {},
            {"actor_id": 'quote " and backslash \\ and \u2028', "purpose": "Ääkkönen 🙂"},
            {"fields": [], "customer_id": uuid.UUID(int=0)},
            {"fields": None, "entity_id": None, "request_id": None},
        ],
    )
    def test_canonical_encoding_is_the_documented_json(self, changes: dict[str, Any]) -> None:
        event = {**event_row(3), "id": 12, **changes}
        document = {
            **event,
            "occurred_at": event["occurred_at"].strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "customer_id": None if event["customer_id"] is None else str(event["customer_id"]),
        }

        expected = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert canonical(event) == expected.encode()

    @pytest.mark.skipif(not is_postgres(), reason="needs concurrent writers (PostgreSQL)")
    async def test_a_late_commit_gets_a_later_position(
        self, app: FastAPI, database_url: str
    ) -> None:
        engine = create_async_engine(database_url)
        try:
            async with engine.connect() as slow:
                transaction = await slow.begin()
                await slow.execute(insert(AuditEvent), [event_row(1, entity_id="slow")])
                fast_ids = await add_events(app, 2)
                assert await seal(factory(app)) == 2
                await transaction.commit()
        finally:
            await engine.dispose()

        assert await seal(factory(app), full=False) == 1
        report = await check(app)

        assert report.ok, messages(report)
        async with factory(app)() as session:
            order = (
                await session.scalars(
                    select(AuditEvent.entity_id)
                    .join(AuditChainEntry, AuditChainEntry.event_id == AuditEvent.id)
                    .order_by(AuditChainEntry.position)
                )
            ).all()
        assert order[-1] == "slow"
        assert min(fast_ids) > 0

    @pytest.mark.skipif(not is_postgres(), reason="needs concurrent sealers (PostgreSQL)")
    async def test_concurrent_sealers_build_one_consistent_chain(self, app: FastAPI) -> None:
        await add_events(app, 3000)
        results: list[int] = []

        async def sealer() -> None:
            results.append(await seal(factory(app), batch_size=100))

        async with anyio.create_task_group() as group:
            for _ in range(4):
                group.start_soon(sealer)
        # A sealer that found the lock taken stops; whatever is left is sealed next time.
        results.append(await seal(factory(app), batch_size=100))
        report = await check(app)

        assert sum(results) == 3000
        assert report.ok, messages(report)
        assert report.entries == 3000


class TestTamperingIsFound:
    async def sealed(self, app: FastAPI, count: int = 10) -> list[int]:
        ids = await add_events(app, count)
        await seal(factory(app))
        return ids

    async def test_an_edited_event_is_named(self, app: FastAPI, database_url: str) -> None:
        ids = await self.sealed(app)

        await execute(
            database_url,
            *without_guards(f"UPDATE audit_events SET actor_id = 'someone' WHERE id = {ids[4]}"),
        )
        report = await check(app)

        assert not report.ok
        assert report.problems[0].event_id == ids[4]
        assert report.problems[0].message == f"event {ids[4]} at position 5 was edited"
        assert report.problem_count == 1

    async def test_a_deleted_event_is_named(self, app: FastAPI, database_url: str) -> None:
        ids = await self.sealed(app)

        await execute(
            database_url, *without_guards(f"DELETE FROM audit_events WHERE id = {ids[2]}")
        )
        report = await check(app)

        assert messages(report) == [f"event {ids[2]} at position 3 was deleted"]

    async def test_reordered_entries_are_named(self, app: FastAPI, database_url: str) -> None:
        ids = await self.sealed(app)

        await execute(
            database_url,
            *without_guards(
                "UPDATE audit_chain SET position = 1000 WHERE position = 6",
                "UPDATE audit_chain SET position = 6 WHERE position = 7",
                "UPDATE audit_chain SET position = 7 WHERE position = 1000",
            ),
        )
        report = await check(app)

        assert report.problems[0].event_id == ids[6]
        assert messages(report)[0] == (
            f"event {ids[6]} at position 6 was moved (the chain is reordered)"
        )

    async def test_a_removed_chain_entry_and_its_unsealed_event_are_named(
        self, app: FastAPI, database_url: str
    ) -> None:
        ids = await self.sealed(app)

        await execute(
            database_url,
            *without_guards(
                "DELETE FROM audit_chain WHERE position = 4",
                f"UPDATE audit_events SET occurred_at = occurred_at - interval '1 hour' "
                f"WHERE id = {ids[3]}"
                if is_postgres()
                else f"UPDATE audit_events SET occurred_at = '2020-01-01 00:00:00.000000' "
                f"WHERE id = {ids[3]}",
            ),
        )
        report = await check(app)

        assert (
            messages(report)[0]
            == "chain entries at positions 4..4 are missing (deleted from the chain)"
        )
        assert report.unsealed_old_ids == [ids[3]]

    async def test_an_old_event_never_sealed_is_reported(self, app: FastAPI) -> None:
        await self.sealed(app)
        old = dt.datetime.now(dt.UTC) - dt.timedelta(hours=1)
        [hidden] = await add_events(app, 1, occurred_at=old)
        fresh = await add_events(app, 1)

        report = await check(app)

        assert report.unsealed_old_count == 1
        assert report.unsealed_old_ids == [hidden]
        assert fresh[0] not in report.unsealed_old_ids

    async def test_a_rewritten_tail_does_not_match_the_kept_head(
        self, app: FastAPI, database_url: str
    ) -> None:
        await self.sealed(app)
        head = (await check(app)).head
        assert head is not None

        await execute(
            database_url, *without_guards(f"DELETE FROM audit_chain WHERE position >= {head[0]}")
        )
        report = await check(app, expected_head=head)

        assert not report.ok
        assert "kept head" in messages(report)[-1]


class TestAppendOnlyChain:
    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE audit_chain SET hash = 'x'",
            "DELETE FROM audit_chain",
            *(["TRUNCATE audit_chain"] if is_postgres() else []),
        ],
    )
    async def test_the_database_refuses_to_change_the_chain(
        self, app: FastAPI, database_url: str, statement: str
    ) -> None:
        from sqlalchemy.exc import DBAPIError

        await add_events(app, 2)
        await seal(factory(app))

        with pytest.raises(DBAPIError, match="append-only"):
            await execute(database_url, statement)

    @pytest.mark.skipif(not is_postgres(), reason="roles and grants are PostgreSQL's")
    @pytest.mark.parametrize(
        "statement",
        [
            "UPDATE audit_events SET action = 'read'",
            "DELETE FROM audit_events",
            "TRUNCATE audit_events",
            "UPDATE audit_chain SET hash = 'x'",
            "DELETE FROM audit_chain",
            "TRUNCATE audit_chain",
        ],
    )
    async def test_the_application_role_may_only_insert_and_select_audit_rows(
        self, app: FastAPI, database_url: str, statement: str
    ) -> None:
        from sqlalchemy.exc import DBAPIError

        await add_events(app, 1)
        await execute(
            database_url,
            "SET ROLE customer_registry_app",
            "INSERT INTO audit_events (occurred_at, action, actor_type, entity, fields) "
            "VALUES (now(), 'read', 'system', 'probe', '[]')",
            "SELECT count(*) FROM audit_events",
            "UPDATE customers SET version = version",
        )

        with pytest.raises(DBAPIError, match="permission denied"):
            await execute(database_url, "SET ROLE customer_registry_app", statement)
        # ...and the sealer can still do its work as that role.
        await execute(
            database_url,
            "SET ROLE customer_registry_app",
            "INSERT INTO audit_chain (position, event_id, hash, sealed_at) "
            f"SELECT 1, min(id), '{GENESIS_HASH}', now() FROM audit_events",
        )


async def test_cli_verify_prints_the_head_and_fails_on_tampering(
    app: FastAPI, database_url: str, tmp_path: Any
) -> None:
    ids = await add_events(app, 5)
    settings = {"database_url": database_url, "secret_key": TEST_SECRET}

    sealed = await anyio.to_thread.run_sync(lambda: run(["audit", "seal"], tmp_path, **settings))
    good = await anyio.to_thread.run_sync(lambda: run(["audit", "verify"], tmp_path, **settings))
    await execute(
        database_url, *without_guards(f"UPDATE audit_events SET purpose = 'x' WHERE id = {ids[1]}")
    )
    bad = await anyio.to_thread.run_sync(lambda: run(["audit", "verify"], tmp_path, **settings))

    assert sealed.returncode == 0, sealed.stderr
    assert "sealed 5 audit events" in sealed.stdout
    assert good.returncode == 0, good.stderr
    assert "chain head: 5:" in good.stdout
    assert "events/s" in good.stdout
    assert bad.returncode == 1
    assert f"TAMPERED: event {ids[1]} at position 2 was edited" in bad.stdout
    assert "Traceback" not in bad.stderr


class TestSignedCheckpoints:
    async def test_a_cut_off_tail_is_reported_by_verify_without_arguments(
        self, app: FastAPI, database_url: str, tmp_path: Any
    ) -> None:
        ids = await add_events(app, 25)
        settings = {
            "database_url": database_url,
            "secret_key": TEST_SECRET,
            "audit_checkpoint_file": str(tmp_path / "checkpoints.jsonl"),
        }

        def cli(*arguments: str) -> Any:
            return anyio.to_thread.run_sync(lambda: run(list(arguments), tmp_path, **settings))

        assert (await cli("audit", "seal")).returncode == 0
        written = await cli("audit", "checkpoint")
        good = await cli("audit", "verify")
        # The newest ten events and the chain's head go, triggers bypassed as a superuser can.
        await execute(
            database_url,
            *without_guards(
                "DELETE FROM audit_chain WHERE position > 15",
                f"DELETE FROM audit_events WHERE id >= {ids[15]}",
            ),
        )
        cut = await cli("audit", "verify")

        assert written.returncode == 0, written.stderr
        assert "checkpoint of 25:" in written.stdout
        assert good.returncode == 0, good.stdout
        assert "checkpoint: 25:" in good.stdout
        assert cut.returncode == 1
        assert "chain head: 15:" in cut.stdout
        assert (
            "TAMPERED: the chain ends at position 15, before the signed checkpoint "
            "(position 25): 10 or more entries were cut off its tail" in cut.stdout
        )

    async def test_a_checkpoint_not_signed_with_the_key_is_reported(
        self, app: FastAPI, database_url: str, tmp_path: Any
    ) -> None:
        await add_events(app, 3)
        await seal(factory(app))
        path = tmp_path / "checkpoints.jsonl"
        head = (await check(app)).head
        assert head is not None
        forged = sign(b"k" * 32, head[0] + 5, head[1], dt.datetime.now(dt.UTC))
        path.write_text(forged.line(), encoding="utf-8")
        settings = {
            "database_url": database_url,
            "secret_key": TEST_SECRET,
            "audit_checkpoint_file": str(path),
        }

        result = await anyio.to_thread.run_sync(
            lambda: run(["audit", "verify"], tmp_path, **settings)
        )

        assert result.returncode == 1
        assert f"TAMPERED: line 1 of {path} is not a correctly signed checkpoint" in result.stdout

    async def test_the_service_checkpoints_the_sealed_head_when_it_stops(
        self, app: FastAPI
    ) -> None:
        await add_events(app, 4)
        settings = app.state.settings
        path = settings.audit_checkpoint_path()

        async with app.router.lifespan_context(app):
            pass

        found = read_checkpoints(path, settings.audit_checkpoint_key())
        assert found.bad_lines == []
        assert found.newest is not None
        assert found.newest.position == 4
        assert (await check(app, checkpoint=(found.newest.position, found.newest.hash))).ok
