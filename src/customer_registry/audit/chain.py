"""The tamper-evident audit chain: sealing committed events in order, and verifying the chain.

Requests insert audit events as always, without waiting on each other. A sealer then takes
the committed events that are not in the chain yet, in id order, and appends them to
`audit_chain` at the next positions:

    hash(n) = sha256(bytes.fromhex(hash(n - 1)) || canonical(event(n))), as 64 hex digits
    hash(0) = GENESIS_HASH (64 zeros)

`canonical(event)` is UTF-8 JSON of an object with exactly the keys of CANONICAL_COLUMNS,
sorted, without spaces, non-ASCII kept as is; `occurred_at` as
`YYYY-MM-DDTHH:MM:SS.ffffffZ` in UTC, `customer_id` as a lower-case hyphenated UUID, `fields`
as the stored list, every other column as its stored string or integer, missing values null.
An event committed late simply gets a later position: the order of the chain is its position.

Only one sealer works at a time (a PostgreSQL advisory lock; SQLite's write lock), so
sealing is idempotent and safe from any number of processes at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from customer_registry.audit.chain_repository import AuditChainRepository
from customer_registry.models.base import utcnow

logger = logging.getLogger(__name__)

GENESIS_HASH = "0" * 64
CANONICAL_COLUMNS = (
    "id",
    "occurred_at",
    "action",
    "actor_type",
    "actor_id",
    "actor_role",
    "entity",
    "entity_id",
    "customer_id",
    "fields",
    "request_id",
    "client_address",
    "purpose",
)
DEFAULT_BATCH_SIZE = 5000
# The frequent sealing pass looks this many ids below the newest sealed event for events
# that committed late; a full pass (at start and every FULL_PASS_EVERY runs) looks at all.
# A full pass reads the whole log (about half a second at two million events), so it runs
# rarely; `audit verify` reports any old event left unsealed in between.
LATE_COMMIT_LOOKBACK = 10_000
FULL_PASS_EVERY = 600
WALK_BATCH_SIZE = 10_000
MAX_REPORTED_PROBLEMS = 20


# The C string encoder that json.dumps(..., ensure_ascii=False) uses for every string.
_quote: Callable[[str], str] = json.encoder.encode_basestring


def _text(value: str | None) -> str:
    return "null" if value is None else _quote(value)


def canonical(event: Mapping[Any, Any]) -> bytes:
    """The stable byte encoding of an audit event that the chain hashes.

    Exactly `json.dumps(document, sort_keys=True, separators=(",", ":"),
    ensure_ascii=False).encode()` of the document the module docstring describes; written
    out by hand because verification runs it on every event of the log (a test checks both
    that it equals json.dumps and that it covers every column).
    """
    occurred_at: dt.datetime = event["occurred_at"]
    customer_id = event["customer_id"]
    fields = event["fields"]
    occurred = occurred_at.astimezone(dt.UTC).isoformat(timespec="microseconds")[:-6] + "Z"
    return "".join(
        (
            '{"action":',
            _text(event["action"]),
            ',"actor_id":',
            _text(event["actor_id"]),
            ',"actor_role":',
            _text(event["actor_role"]),
            ',"actor_type":',
            _text(event["actor_type"]),
            ',"client_address":',
            _text(event["client_address"]),
            ',"customer_id":',
            "null" if customer_id is None else f'"{customer_id}"',
            ',"entity":',
            _text(event["entity"]),
            ',"entity_id":',
            _text(event["entity_id"]),
            ',"fields":',
            "null" if fields is None else "[" + ",".join(map(_quote, fields)) + "]",
            ',"id":',
            str(int(event["id"])),
            ',"occurred_at":"',
            occurred,
            '","purpose":',
            _text(event["purpose"]),
            ',"request_id":',
            _text(event["request_id"]),
            "}",
        )
    ).encode("utf-8")


def chain_hash(previous_hash: str, event: Mapping[Any, Any]) -> str:
    return _link(previous_hash, canonical(event))


# Events hashed between two turns of the event loop: about a millisecond of work.
HASHED_PER_TURN = 100


async def _hashes(previous_hash: str, events: Sequence[Mapping[Any, Any]]) -> list[str]:
    """The chain hashes of consecutive events after `previous_hash`.

    In the event loop, a few at a time: requests in flight wait at most one such step. In
    a worker thread, the hashing would take the interpreter's lock from the event loop for
    a switch interval (5 ms) at a time, which shows in every request's latency.
    """
    hashes = []
    for number, event in enumerate(events, start=1):
        previous_hash = chain_hash(previous_hash, event)
        hashes.append(previous_hash)
        if number % HASHED_PER_TURN == 0:
            await asyncio.sleep(0)
    return hashes


def _link(previous_hash: str, encoded_event: bytes) -> str:
    try:
        previous = bytes.fromhex(previous_hash)
    except ValueError:  # a hash overwritten with something that is not one
        previous = previous_hash.encode()
    return hashlib.sha256(previous + encoded_event).hexdigest()


SessionFactory = async_sessionmaker[AsyncSession]


async def seal_batch(
    session_factory: SessionFactory, *, batch_size: int = DEFAULT_BATCH_SIZE, after_id: int | None
) -> tuple[int, int] | None:
    """Seal up to `batch_size` events in one transaction.

    Looks at unsealed events with ids above `after_id`, or (None) at those that may have
    committed late. Returns how many were sealed and the last id sealed, or None when
    another sealer holds the lock.
    """
    async with session_factory() as session, session.begin():
        chain = AuditChainRepository(session)
        if not await chain.try_lock_sealer():
            return None
        head = await chain.head()
        position, previous = head if head is not None else (0, GENESIS_HASH)
        if after_id is None:
            after_id = max(0, await chain.newest_sealed_event_id() - LATE_COMMIT_LOOKBACK)
        events = await chain.unsealed_events(after_id=after_id, limit=batch_size)
        hashes = await _hashes(previous, events)
        event_ids = [int(event["id"]) for event in events]
        await chain.append(position + 1, event_ids, hashes, utcnow())
        return len(event_ids), (event_ids[-1] if event_ids else after_id)


async def seal(
    session_factory: SessionFactory, *, batch_size: int = DEFAULT_BATCH_SIZE, full: bool = True
) -> int:
    """Seal every committed event not in the chain yet; the number sealed by this call.

    `full` looks at every event; otherwise only at ids near the newest sealed one, which
    is where events that committed late are found (cheap enough to run every second).
    """
    total = 0
    after_id: int | None = 0 if full else None
    while True:
        result = await seal_batch(session_factory, batch_size=batch_size, after_id=after_id)
        if result is None:
            return total
        sealed, after_id = result
        total += sealed
        if sealed < batch_size:
            return total


@contextlib.asynccontextmanager
async def background_sealer(
    session_factory: SessionFactory, *, interval: float, batch_size: int = DEFAULT_BATCH_SIZE
) -> AsyncIterator[None]:
    """Seal every `interval` seconds while the block runs (no sealing when interval is 0)."""
    if interval <= 0:
        yield
        return

    async def run() -> None:
        runs = 0
        while True:
            try:
                await seal(session_factory, batch_size=batch_size, full=runs % FULL_PASS_EVERY == 0)
            except Exception as error:  # the next run tries again; requests are unaffected
                logger.warning("sealing the audit chain failed: %s", type(error).__name__)
            runs += 1
            await asyncio.sleep(interval)

    task = asyncio.create_task(run(), name="audit-chain-sealer")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@dataclasses.dataclass
class Problem:
    position: int | None
    event_id: int | None
    message: str


@dataclasses.dataclass
class VerifyReport:
    entries: int = 0
    seconds: float = 0.0
    head: tuple[int, str] | None = None
    problems: list[Problem] = dataclasses.field(default_factory=list)
    problem_count: int = 0
    unsealed_old_count: int = 0
    unsealed_old_ids: list[int] = dataclasses.field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem_count == 0 and self.unsealed_old_count == 0

    @property
    def events_per_second(self) -> float:
        return self.entries / self.seconds if self.seconds > 0 else 0.0

    def add(self, problem: Problem) -> None:
        self.problem_count += 1
        if len(self.problems) < MAX_REPORTED_PROBLEMS:
            self.problems.append(problem)


def _mismatch(
    row: Mapping[str, Any],
    encoded: bytes,
    previous_hash: str,
    nearby_hashes: list[str],
    report: VerifyReport,
) -> Problem:
    """A hash that does not follow: the event was moved when it follows another entry nearby."""
    stored_hash = row["hash"]
    moved = len(report.problems) < MAX_REPORTED_PROBLEMS and any(
        _link(candidate, encoded) == stored_hash
        for candidate in nearby_hashes
        if candidate != previous_hash
    )
    what = "was moved (the chain is reordered)" if moved else "was edited"
    position, event_id = row["position"], row["chain_event_id"]
    return Problem(position, event_id, f"event {event_id} at position {position} {what}")


Progress = Callable[[int, int, float], None]


async def verify(
    session_factory: SessionFactory,
    *,
    unsealed_grace: dt.timedelta,
    expected_head: tuple[int, str] | None = None,
    checkpoint: tuple[int, str] | None = None,
    progress: Progress | None = None,
) -> VerifyReport:
    """Walk the chain by position, recompute every hash and report what does not fit.

    Seals nothing. Names each event that was edited, deleted or moved; entries missing from
    the chain; events older than `unsealed_grace` that were never sealed; and whether the
    chain still holds `expected_head` (a head an operator kept elsewhere) and `checkpoint`
    (the head of the newest signed checkpoint).
    """
    report = VerifyReport()
    started = time.perf_counter()
    async with session_factory() as session:
        chain = AuditChainRepository(session)
        total = await chain.length()
        previous_position, previous_hash = 0, GENESIS_HASH
        kept = {
            name: head
            for name, head in (("kept head", expected_head), ("signed checkpoint", checkpoint))
            if head is not None
        }
        found = dict.fromkeys(kept, False)
        while True:
            rows = await chain.walk(after_position=previous_position, limit=WALK_BATCH_SIZE)
            if not rows:
                break
            await session.rollback()  # keep no long snapshot open on a huge chain
            batch_hashes = [row["hash"] for row in rows]
            for row in rows:
                position, event_id, stored_hash = (
                    row["position"],
                    row["chain_event_id"],
                    row["hash"],
                )
                if position != previous_position + 1:
                    report.add(
                        Problem(
                            position,
                            event_id,
                            f"chain entries at positions {previous_position + 1}.."
                            f"{position - 1} are missing (deleted from the chain)",
                        )
                    )
                elif row["id"] is None:
                    message = f"event {event_id} at position {position} was deleted"
                    report.add(Problem(position, event_id, message))
                else:
                    encoded = canonical(row)
                    if _link(previous_hash, encoded) != stored_hash:
                        report.add(_mismatch(row, encoded, previous_hash, batch_hashes, report))
                for name, head in kept.items():
                    if position == head[0]:
                        found[name] = stored_hash == head[1]
                # Continue from the stored hash, so that later damage is found as well.
                previous_position, previous_hash = position, stored_hash
                report.entries += 1
            if progress is not None:
                progress(report.entries, total, time.perf_counter() - started)
        report.seconds = time.perf_counter() - started
        if report.entries:
            report.head = (previous_position, previous_hash)
        for name, head in kept.items():
            if found[name]:
                continue
            if previous_position < head[0]:
                what = (
                    f"the chain ends at position {previous_position}, before the {name} "
                    f"(position {head[0]}): {head[0] - previous_position} or more entries "
                    "were cut off its tail"
                )
            else:
                what = (
                    f"the {name} (position {head[0]}) is not in the chain: entries were "
                    "removed or rewritten"
                )
            report.add(Problem(head[0], None, what))
        report.unsealed_old_count, report.unsealed_old_ids = await chain.old_unsealed_event_ids(
            occurred_before=utcnow() - unsealed_grace, limit=MAX_REPORTED_PROBLEMS
        )
    return report
