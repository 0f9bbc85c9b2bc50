"""Query conditions on `Customer` that are facts of the data, not rules of processing.

Which customers a kind of processing may touch is the processing policy's
(`customer_registry.policy.conditions`).
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_

from customer_registry.models import Customer


def has_postal_address() -> ColumnElement[bool]:
    """The customer has a complete postal address (a label can be printed)."""
    return and_(
        Customer.street.is_not(None),
        Customer.postal_code.is_not(None),
        Customer.city.is_not(None),
        Customer.country.is_not(None),
    )
