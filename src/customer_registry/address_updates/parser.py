"""The address-update file: a CSV with a header row, one update per row.

Columns (UTF-8, comma-separated, the header names them; order free, unknown columns refused):

- `changed_on` (required): the date of the change at the update service, `YYYY-MM-DD`.
- Who: `customer_id`, or `first_name`, `last_name`, `previous_street` and
  `previous_postal_code` (and optionally `previous_city`) as the register has them now.
- What: `new_street`, `new_postal_code`, `new_city` (all three, and `new_country`, `FI` when
  empty), and/or `new_first_name`, `new_last_name`.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Self

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from customer_registry.core.validation import Text100, Text200
from customer_registry.customers.schemas import Address
from customer_registry.customers.validation import CountryCode, PostalCode

COLUMNS = (
    "customer_id",
    "first_name",
    "last_name",
    "previous_street",
    "previous_postal_code",
    "previous_city",
    "new_first_name",
    "new_last_name",
    "new_street",
    "new_postal_code",
    "new_city",
    "new_country",
    "changed_on",
)
REQUIRED_COLUMNS = ("changed_on",)


class InvalidUpdateFile(ValueError):
    """The file as a whole cannot be read (its header); no row is applied."""


class AddressUpdateRow(BaseModel):
    """One update, validated like the same data entered through the API."""

    model_config = ConfigDict(extra="forbid")

    customer_id: uuid.UUID | None = None
    first_name: Text100 | None = None
    last_name: Text100 | None = None
    previous_street: Text200 | None = None
    previous_postal_code: PostalCode | None = None
    previous_city: Text100 | None = None
    new_first_name: Text100 | None = None
    new_last_name: Text100 | None = None
    new_street: Text200 | None = None
    new_postal_code: PostalCode | None = None
    new_city: Text100 | None = None
    new_country: CountryCode | None = None
    changed_on: dt.date

    @model_validator(mode="after")
    def _rules(self) -> Self:
        if self.customer_id is None and not (
            self.first_name
            and self.last_name
            and self.previous_street
            and self.previous_postal_code
        ):
            raise ValueError(
                "needs customer_id, or first_name, last_name, previous_street and "
                "previous_postal_code"
            )
        address_parts = (self.new_street, self.new_postal_code, self.new_city)
        if any(address_parts) and not all(address_parts):
            raise ValueError("a new address needs new_street, new_postal_code and new_city")
        if not any(address_parts) and not (self.new_first_name or self.new_last_name):
            raise ValueError("nothing to update")
        if any(address_parts):
            try:
                self.new_address()
            except ValidationError as error:
                # Only the rule, never the value, which is personal data.
                raise ValueError("the new address is not a valid postal address") from error
        return self

    def new_address(self) -> Address | None:
        if self.new_street is None or self.new_postal_code is None or self.new_city is None:
            return None
        return Address(
            street=self.new_street,
            postal_code=self.new_postal_code,
            city=self.new_city,
            country=self.new_country or "FI",
        )


@dataclass(frozen=True, slots=True)
class ParsedLine:
    line: int
    row: AddressUpdateRow | None
    problem: str | None = None


def _problem(error: ValidationError) -> str:
    """What is wrong, by column name; never the value, which may be personal data."""
    columns = sorted({str(item["loc"][0]) for item in error.errors() if item["loc"]})
    rules = [
        str(item["msg"]).removeprefix("Value error, ") for item in error.errors() if not item["loc"]
    ]
    parts = [f"invalid {', '.join(columns)}"] if columns else []
    return "; ".join(parts + rules)


def parse(text: str) -> Iterator[ParsedLine]:
    """Every data row of the file, valid or with what is wrong with it."""
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = [name.strip() for name in next(reader)]
    except (StopIteration, csv.Error) as error:
        raise InvalidUpdateFile("the file has no readable header row") from error
    unknown = sorted(set(header) - set(COLUMNS))
    if unknown:
        raise InvalidUpdateFile(f"unknown columns: {', '.join(unknown)}")
    missing = [name for name in REQUIRED_COLUMNS if name not in header]
    if missing or len(set(header)) != len(header):
        raise InvalidUpdateFile("the header needs changed_on and names each column once")
    while True:
        try:
            values = next(reader)
        except StopIteration:
            return
        except csv.Error:
            yield ParsedLine(reader.line_num, None, "not a valid CSV line")
            continue
        if not any(value.strip() for value in values):
            continue
        if len(values) != len(header):
            yield ParsedLine(reader.line_num, None, f"expected {len(header)} columns")
            continue
        data = {name: value for name, value in zip(header, values, strict=True) if value.strip()}
        try:
            yield ParsedLine(reader.line_num, AddressUpdateRow.model_validate(data))
        except ValidationError as error:
            yield ParsedLine(reader.line_num, None, _problem(error))
