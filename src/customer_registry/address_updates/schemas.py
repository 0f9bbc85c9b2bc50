"""The report of an address-update import."""

from __future__ import annotations

import uuid
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from customer_registry.core import examples


class Outcome(StrEnum):
    updated = "updated"
    unchanged = "unchanged"
    unmatched = "unmatched"
    ambiguous = "ambiguous"
    conflict = "conflict"
    skipped_restricted = "skipped_restricted"
    skipped_erased = "skipped_erased"
    malformed = "malformed"


class LineReport(BaseModel):
    """What happened to one line of the file (header = line 1)."""

    line: int
    outcome: Outcome
    customer_id: uuid.UUID | None = None
    detail: str | None = Field(default=None, description="Names columns, never values.")


class AddressUpdateReport(BaseModel):
    """Counts per outcome, and every line that was not applied as it stands.

    `matched` counts lines that identified exactly one customer (updated, unchanged,
    conflicts and skipped ones); `unmatched` includes ambiguous lines.
    """

    model_config = ConfigDict(json_schema_extra={"examples": [examples.ADDRESS_UPDATE_REPORT]})

    dry_run: bool
    lines: int
    matched: int
    updated: int
    unchanged: int
    unmatched: int
    conflicts: int
    skipped: int
    malformed: int
    problems: list[LineReport]
