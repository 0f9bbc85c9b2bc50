"""Which customers a kind of processing may touch, as query conditions on `Customer`.

Lists, searches, exports, label runs and statistics build their queries from these, so that
a restriction (R23) or an erasure (R14, R27) is honoured everywhere from one place.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import ColumnElement, and_, or_

from customer_registry.models import Customer


def not_restricted() -> ColumnElement[bool]:
    """Processing of the customer is not restricted (R23)."""
    return Customer.restricted_at.is_(None)


def not_erased() -> ColumnElement[bool]:
    """The customer's personal data has not been erased or anonymised (R14, R27)."""
    return Customer.erased_at.is_(None)


def relationship_active(today: dt.date) -> ColumnElement[bool]:
    """The customer relationship has not ended by `today`."""
    return or_(Customer.relationship_ended_on.is_(None), Customer.relationship_ended_on > today)


def has_postal_address() -> ColumnElement[bool]:
    return and_(
        Customer.street.is_not(None),
        Customer.postal_code.is_not(None),
        Customer.city.is_not(None),
        Customer.country.is_not(None),
    )


def processable() -> ColumnElement[bool]:
    """The customer may be processed at all: neither restricted nor erased."""
    return and_(not_restricted(), not_erased())
