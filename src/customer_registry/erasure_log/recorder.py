"""Recording an erasure: in the `erasure_log` table, and durably in the file before commit.

`Eraser.erase` calls `record_erasure` last, inside the erasing transaction. The line is in
the file (fsynced) before the transaction can commit, so no committed erasure is ever
missing from the file. When the transaction rolls back instead, a `cancelled` line follows,
so that a replay leaves that customer alone. Only a crash between the write and the commit
leaves an erasure in the file that the database never got: a replay then erases a person
who had asked for erasure (or was past retention) and whose erasure was already under way,
which is the side to err on.
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from pathlib import Path

import anyio
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction

from customer_registry.config import Settings
from customer_registry.core.errors import RegistryError
from customer_registry.core.ids import uuid7
from customer_registry.core.logs import log_event
from customer_registry.erasure_log import journal
from customer_registry.erasure_log.journal import ErasureLogError, LoggedErasure
from customer_registry.erasure_log.repository import ErasureLogRepository
from customer_registry.models import Customer, ErasureLogEntry
from customer_registry.models.base import utcnow

RETENTION_REFERENCE = "retention"
# Keys in `Session.info`: entries written in the open transaction, and the logged erasure
# a replay is re-applying (which is already in the file).
PENDING = "customer_registry.erasure_log.pending"
REPLAYING = "customer_registry.erasure_log.replaying"
LISTENING = "customer_registry.erasure_log.listening"


class ErasureLogUnavailable(RegistryError):
    """The erasure cannot be logged outside the database, so it is not made at all."""

    status_code = 503
    code = "erasure-log-unavailable"
    title = "The erasure log cannot be written; nothing was erased"


def request_reference(request_id: uuid.UUID) -> str:
    return f"gdpr_request:{request_id}"


async def record_erasure(
    session: AsyncSession, settings: Settings, customer: Customer, erased: list[str]
) -> None:
    """Log a full erasure of `customer` (partial ones, kept by a blocker, are not logged)."""
    if not erased or customer.erased_at is None:
        return
    repository = ErasureLogRepository(session)
    replaying: LoggedErasure | None = session.info.get(REPLAYING)
    if replaying is not None:
        if not await repository.has(replaying.entry):
            await repository.add(log_row(replaying, replayed_at=customer.erased_at))
        return

    request_id = await repository.erasure_request_being_completed(customer.id)
    erasure = LoggedErasure(
        entry=uuid7(),
        customer_id=customer.id,
        erased_at=customer.erased_at,
        reference=request_reference(request_id) if request_id else RETENTION_REFERENCE,
    )
    await repository.add(log_row(erasure))
    path = settings.erasure_log_path()
    try:
        await anyio.to_thread.run_sync(journal.append, path, [journal.erased_line(erasure)])
    except ErasureLogError as error:
        cause = type(error.__cause__ or error).__name__
        log_event("erasure_log_failed", logging.ERROR, error=cause)
        raise ErasureLogUnavailable() from error
    _pending_in(session).append((path, erasure.entry))


def _pending_in(session: AsyncSession) -> list[tuple[Path, uuid.UUID]]:
    """The session's logged erasures awaiting its commit; the first one makes the session
    listen for the end of its transactions (this session only)."""
    pending: list[tuple[Path, uuid.UUID]] | None = session.info.get(PENDING)
    if pending is None:
        pending = session.info[PENDING] = []
        if not session.info.get(LISTENING):
            session.info[LISTENING] = True
            event.listen(session.sync_session, "after_commit", _committed)
            event.listen(session.sync_session, "after_transaction_end", _ended)
    return pending


def log_row(erasure: LoggedErasure, replayed_at: dt.datetime | None = None) -> ErasureLogEntry:
    """The table row of a logged erasure, under the same entry id as in the file."""
    return ErasureLogEntry(
        id=erasure.entry,
        customer_id=erasure.customer_id,
        erased_at=erasure.erased_at,
        reference=erasure.reference,
        replayed_at=replayed_at,
    )


def _committed(session: Session) -> None:
    session.info.pop(PENDING, None)


def _ended(session: Session, transaction: SessionTransaction) -> None:
    """A transaction that ends without its commit cancels the erasures it logged."""
    if transaction.parent is not None:
        return
    pending: list[tuple[Path, uuid.UUID]] | None = session.info.pop(PENDING, None)
    if not pending:
        return
    now = utcnow()
    for path, entry in pending:
        try:
            journal.append(path, [journal.cancelled_line(entry, now)])
        except ErasureLogError:
            # The entry stays: a replay would erase a customer whose erasure was under way.
            log_event("erasure_log_cancellation_failed", logging.ERROR, entry=str(entry))
