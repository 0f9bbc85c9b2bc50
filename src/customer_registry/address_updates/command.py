"""`customer-registry import-address-updates FILE`: the import from the command line."""

from __future__ import annotations

from customer_registry.address_updates.schemas import AddressUpdateReport
from customer_registry.address_updates.service import AddressUpdateImport
from customer_registry.auth.principal import SYSTEM_ACTOR
from customer_registry.config import Settings
from customer_registry.core.database import create_session_factory, scoped_engine


async def import_file(settings: Settings, text: str, *, dry_run: bool) -> AddressUpdateReport:
    """Run the import in one transaction, committed unless it is a dry run."""
    async with (
        scoped_engine(settings, job=True) as engine,
        create_session_factory(engine)() as session,
    ):
        report = await AddressUpdateImport(session).run(text, SYSTEM_ACTOR, dry_run=dry_run)
        if dry_run:
            await session.rollback()
        else:
            await session.commit()
        return report


def describe(report: AddressUpdateReport) -> str:
    """The report as lines of text: the counts, then every line that needs a look."""
    heading = "dry run, nothing changed: " if report.dry_run else ""
    lines = [
        f"{heading}{report.lines} lines: {report.matched} matched, {report.updated} updated, "
        f"{report.unchanged} unchanged, {report.unmatched} unmatched, {report.conflicts} "
        f"conflicts, {report.skipped} skipped, {report.malformed} malformed"
    ]
    for problem in report.problems:
        detail = f": {problem.detail}" if problem.detail else ""
        customer = f" (customer {problem.customer_id})" if problem.customer_id else ""
        lines.append(f"line {problem.line}: {problem.outcome.value}{customer}{detail}")
    return "\n".join(lines) + "\n"
