"""Re-applying logged erasures after a database restore (`customer-registry erasures replay`).

A restored backup brings back everyone erased after it was taken. The replay reads the
erasure log file, which lives outside the database, and erases again every logged customer
whose personal data is present, with the same `Eraser` as the original erasure and no
blockers (the erasure was complete when it was made). Each customer gets a transaction of
its own, so an interrupted replay can simply be run again; a second run finds nothing to do.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

import anyio
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from customer_registry.audit.service import AuditTrail
from customer_registry.auth.principal import SYSTEM_ACTOR
from customer_registry.config import Settings
from customer_registry.core.progress import Progress
from customer_registry.customers.service import CUSTOMER_ENTITY
from customer_registry.erasure_log import journal
from customer_registry.erasure_log.journal import ErasureLog, LoggedErasure
from customer_registry.erasure_log.recorder import REPLAYING, log_row
from customer_registry.erasure_log.repository import ErasureLogRepository
from customer_registry.gdpr_requests.erasure import PERSONAL_COLUMNS, Eraser
from customer_registry.models import AuditAction, Customer

REPLAY_PURPOSE = "erasure_replay"


class Outcome(StrEnum):
    erased_again = "erased_again"
    already_erased = "already_erased"
    not_in_database = "not_in_database"


@dataclass(slots=True)
class ReplayReport:
    """What a replay found and did."""

    log: Path
    dry_run: bool
    customers: int = 0
    erased_again: int = 0
    already_erased: int = 0
    not_in_database: int = 0
    cancelled: int = 0
    torn_last_line: bool = False

    def count(self, outcome: Outcome) -> None:
        setattr(self, outcome.value, getattr(self, outcome.value) + 1)

    def describe(self) -> str:
        """One line for the operator; ids and counts only."""
        verb = "would erase again" if self.dry_run else "erased again"
        line = (
            f"erasure log {self.log}: {self.customers} customers; {verb} {self.erased_again}, "
            f"already erased {self.already_erased}, not in the database {self.not_in_database}"
        )
        if self.cancelled:
            line += f", {self.cancelled} rolled-back erasures skipped"
        if self.torn_last_line:
            line += ", an unfinished last line ignored"
        return line


def has_personal_data(customer: Customer) -> bool:
    return customer.erased_at is None or any(
        getattr(customer, column) is not None for column in PERSONAL_COLUMNS
    )


async def replay_one(
    session: AsyncSession, settings: Settings, erasure: LoggedErasure, *, dry_run: bool
) -> Outcome:
    """Erase one logged customer again if the database holds their data."""
    customer = await session.get(Customer, erasure.customer_id, with_for_update=True)
    if customer is None:
        return Outcome.not_in_database
    repository = ErasureLogRepository(session)
    if not has_personal_data(customer):
        if not dry_run and not await repository.has(erasure.entry):
            await repository.add(log_row(erasure))
        return Outcome.already_erased
    if dry_run:
        return Outcome.erased_again
    session.info[REPLAYING] = erasure
    try:
        erased = await Eraser(session, settings).erase(customer, [])
    finally:
        session.info.pop(REPLAYING, None)
    await AuditTrail(session).record(
        SYSTEM_ACTOR,
        AuditAction.erase,
        CUSTOMER_ENTITY,
        customer.id,
        customer_id=customer.id,
        fields=erased,
        purpose=REPLAY_PURPOSE,
    )
    return Outcome.erased_again


async def replay(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    log_file: Path | None = None,
    *,
    dry_run: bool,
    progress: Progress | None = None,
) -> ReplayReport:
    """Read the erasure log and re-apply every erasure in it."""
    path = log_file or settings.erasure_log_path()
    log = await anyio.to_thread.run_sync(journal.read, path)
    return await replay_log(
        session_factory, settings, log, path, dry_run=dry_run, progress=progress
    )


async def replay_log(
    session_factory: async_sessionmaker[AsyncSession],
    settings: Settings,
    log: ErasureLog,
    path: Path,
    *,
    dry_run: bool,
    progress: Progress | None = None,
) -> ReplayReport:
    """Re-apply every erasure of a log already read, one customer per transaction."""
    erasures = log.latest_per_customer()
    report = ReplayReport(
        log=path,
        dry_run=dry_run,
        customers=len(erasures),
        cancelled=log.cancelled,
        torn_last_line=log.torn_last_line,
    )
    if progress is not None:
        progress.total = len(erasures)
    for erasure in erasures:
        async with session_factory() as session, session.begin():
            outcome = await replay_one(session, settings, erasure, dry_run=dry_run)
        report.count(outcome)
        if progress is not None:
            progress.advance()
    return report
