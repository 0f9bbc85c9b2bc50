"""Applying name and address updates from update services (R10), each customer audited."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Annotated, Any

from fastapi import Depends
from sqlalchemy.ext.asyncio import AsyncSession

from customer_registry.address_updates.parser import AddressUpdateRow, ParsedLine, parse
from customer_registry.address_updates.repository import AddressUpdateRepository
from customer_registry.address_updates.schemas import AddressUpdateReport, LineReport, Outcome
from customer_registry.audit.service import AuditTrail
from customer_registry.auth.principal import Actor
from customer_registry.core.database import SessionDep
from customer_registry.customers.repository import CustomerRepository
from customer_registry.customers.schemas import address_of, columns_for
from customer_registry.models import AuditAction, Customer, DataSource
from customer_registry.models.base import utcnow
from customer_registry.policy import Operation, State, decide, state_of
from customer_registry.policy.rules import Caller

CHUNK_SIZE = 500
CUSTOMER_ENTITY = "customer"
REPORTED_OUTCOMES = {Outcome.updated, Outcome.unchanged}


def _folded(value: str | None) -> str:
    return " ".join((value or "").split()).casefold()


def _same_person(customer: Customer, row: AddressUpdateRow) -> bool:
    """Name and previous address as in the register, ignoring case and spacing."""
    return (
        _folded(customer.first_name) == _folded(row.first_name)
        and _folded(customer.last_name) == _folded(row.last_name)
        and _folded(customer.street) == _folded(row.previous_street)
        and _folded(customer.postal_code) == _folded(row.previous_postal_code)
        and (row.previous_city is None or _folded(customer.city) == _folded(row.previous_city))
    )


def _is_erased(customer: Customer) -> bool:
    """No name left to match a person by: erased, whatever the state columns say."""
    return customer.first_name is None and customer.last_name is None


def _changes(customer: Customer, row: AddressUpdateRow) -> dict[str, Any]:
    """The API fields the row changes, with their new values."""
    changes: dict[str, Any] = {}
    address = row.new_address()
    if address is not None and address_of(customer) != address.model_dump():
        changes["address"] = address
    if row.new_first_name is not None and row.new_first_name != customer.first_name:
        changes["first_name"] = row.new_first_name
    if row.new_last_name is not None and row.new_last_name != customer.last_name:
        changes["last_name"] = row.new_last_name
    return changes


class AddressUpdateImport:
    """Matches each line to one customer and applies it, never over a newer change.

    Every line is applied in its own savepoint, so a line that fails leaves the others
    as they are; a dry run matches and reports without writing anything.
    """

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.lookup = AddressUpdateRepository(session)
        self.customers = CustomerRepository(session)
        self.audit = AuditTrail(session)

    async def run(self, text: str, actor: Actor, *, dry_run: bool) -> AddressUpdateReport:
        """Raises InvalidUpdateFile when the header cannot be used."""
        reports: list[LineReport] = []
        lines = parse(text)
        while chunk := list(itertools.islice(lines, CHUNK_SIZE)):
            reports.extend(await self._chunk(chunk, actor, dry_run=dry_run))
        counts = Counter(report.outcome for report in reports)
        return AddressUpdateReport(
            dry_run=dry_run,
            lines=len(reports),
            matched=len(reports)
            - counts[Outcome.unmatched]
            - counts[Outcome.ambiguous]
            - counts[Outcome.malformed],
            updated=counts[Outcome.updated],
            unchanged=counts[Outcome.unchanged],
            unmatched=counts[Outcome.unmatched] + counts[Outcome.ambiguous],
            conflicts=counts[Outcome.conflict],
            skipped=counts[Outcome.skipped_restricted] + counts[Outcome.skipped_erased],
            malformed=counts[Outcome.malformed],
            problems=[report for report in reports if report.outcome not in REPORTED_OUTCOMES],
        )

    async def _chunk(
        self, chunk: Sequence[ParsedLine], actor: Actor, *, dry_run: bool
    ) -> list[LineReport]:
        rows = [parsed.row for parsed in chunk if parsed.row is not None]
        by_id = {
            customer.id: customer
            for customer in await self.lookup.by_ids(
                {row.customer_id for row in rows if row.customer_id is not None}
            )
        }
        by_name = await self._name_candidates(row for row in rows if row.customer_id is None)
        reports: list[LineReport] = []
        events: list[dict[str, Any]] = []
        for parsed in chunk:
            if parsed.row is None:
                reports.append(
                    LineReport(line=parsed.line, outcome=Outcome.malformed, detail=parsed.problem)
                )
                continue
            row = parsed.row
            if row.customer_id is not None:
                found = by_id.get(row.customer_id)
                matches = [found] if found is not None else []
            else:
                matches = [customer for customer in by_name if _same_person(customer, row)]
            if not matches:
                reports.append(LineReport(line=parsed.line, outcome=Outcome.unmatched))
                continue
            if len(matches) > 1:
                reports.append(
                    LineReport(
                        line=parsed.line,
                        outcome=Outcome.ambiguous,
                        detail=f"{len(matches)} customers have this name and address",
                    )
                )
                continue
            customer = matches[0]
            outcome, changed = await self._apply(customer, row, dry_run=dry_run)
            reports.append(LineReport(line=parsed.line, outcome=outcome, customer_id=customer.id))
            if outcome is Outcome.updated and not dry_run:
                events.append(
                    AuditTrail.event(
                        actor,
                        AuditAction.update,
                        CUSTOMER_ENTITY,
                        customer.id,
                        customer_id=customer.id,
                        fields=[*changed, "source"],
                        purpose="address_update",
                    )
                )
        await self.audit.record_many(events)
        return reports

    async def _name_candidates(self, rows: Iterable[AddressUpdateRow]) -> Sequence[Customer]:
        postal_codes: set[str] = set()
        last_names: set[str] = set()
        for row in rows:
            if row.previous_postal_code and row.last_name:
                postal_codes.add(row.previous_postal_code)
                last_names.update({row.last_name.lower(), _ascii_lower(row.last_name)})
        return await self.lookup.by_postal_code_and_last_name(postal_codes, last_names)

    async def _apply(
        self, customer: Customer, row: AddressUpdateRow, *, dry_run: bool
    ) -> tuple[Outcome, list[str]]:
        state = state_of(customer)
        if not decide(Caller.system, state, Operation.address_update).allowed:
            if state is State.erased:
                return Outcome.skipped_erased, []
            return Outcome.skipped_restricted, []
        if _is_erased(customer):
            return Outcome.skipped_erased, []
        # Never overwrite what changed in the register after the update service's change.
        if customer.updated_at.astimezone(dt.UTC).date() > row.changed_on:
            return Outcome.conflict, []
        changes = _changes(customer, row)
        if not changes:
            return Outcome.unchanged, []
        if dry_run:
            return Outcome.updated, sorted(changes)
        values: dict[str, Any] = {"updated_at": utcnow()}
        for name, value in changes.items():
            values.update(columns_for(name, value))
        values["source"] = DataSource.address_update_service.value
        async with self.session.begin_nested():
            applied = await self.customers.update_if_version(customer.id, customer.version, values)
        if not applied:
            return Outcome.conflict, []
        await self.session.refresh(customer)
        return Outcome.updated, sorted(changes)


def _ascii_lower(value: str) -> str:
    """Lower-cased as SQLite's lower() does: ASCII letters only."""
    return "".join(char.lower() if char.isascii() else char for char in value)


async def get_address_update_import(session: SessionDep) -> AddressUpdateImport:
    return AddressUpdateImport(session)


AddressUpdateImportDep = Annotated[AddressUpdateImport, Depends(get_address_update_import)]
