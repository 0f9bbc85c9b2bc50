"""What a mailing-label run is narrowed to, as query conditions."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement

from customer_registry.models import Customer


@dataclass(frozen=True, slots=True)
class LabelFilters:
    customer_type: str | None = None
    language: str | None = None
    postal_code_prefix: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.customer_type is not None:
            conditions.append(Customer.type == self.customer_type)
        if self.language is not None:
            conditions.append(Customer.language == self.language)
        if self.postal_code_prefix is not None:
            conditions.append(
                Customer.postal_code.startswith(self.postal_code_prefix, autoescape=True)
            )
        return conditions
