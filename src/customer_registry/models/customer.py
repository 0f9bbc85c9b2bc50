"""A customer of the register (R7, R9): the person, and the organisation they represent."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, TypeAlias

from sqlalchemy import Date, Index, Row, String
from sqlalchemy.orm import Mapped, mapped_column

from customer_registry.models.base import Base, Timestamps, UUIDPrimaryKey


class CustomerType(StrEnum):
    """The five groups of data subjects of the privacy notice (R7)."""

    company = "company"
    private_person = "private_person"
    public_administration = "public_administration"
    authority = "authority"
    non_profit = "non_profit"


class Language(StrEnum):
    fi = "fi"
    sv = "sv"
    en = "en"


class LegalBasis(StrEnum):
    """The legal basis of processing (R6); the register rests on contract by default."""

    contract = "contract"
    legitimate_interest = "legitimate_interest"
    consent = "consent"
    legal_obligation = "legal_obligation"


class DataSource(StrEnum):
    """The regular sources of the register's data (R10)."""

    shop = "shop"
    web_shop = "web_shop"
    reseller = "reseller"
    registration = "registration"
    customer_notice = "customer_notice"
    address_update_service = "address_update_service"
    subcontractor = "subcontractor"


class RestrictionGround(StrEnum):
    """The grounds of Art. 18(1) on which a person may have processing restricted."""

    accuracy_contested = "accuracy_contested"  # (a): until the accuracy is verified
    unlawful_processing = "unlawful_processing"  # (b): restriction instead of erasure
    legal_claims = "legal_claims"  # (c): the person needs the data for a legal claim
    objection_pending = "objection_pending"  # (d): while an objection is weighed


class Customer(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "customers"

    type: Mapped[str] = mapped_column(String(32))
    first_name: Mapped[str | None] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    organisation_name: Mapped[str | None] = mapped_column(String(200))
    organisation_business_id: Mapped[str | None] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    # Lower-cased e-mail: unique among customers that have one (case-insensitive).
    email_normalized: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    street: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(16))
    city: Mapped[str | None] = mapped_column(String(100))
    country: Mapped[str | None] = mapped_column(String(2))
    language: Mapped[str] = mapped_column(String(2))
    legal_basis: Mapped[str] = mapped_column(String(32))
    source: Mapped[str] = mapped_column(String(32))
    relationship_started_on: Mapped[dt.date] = mapped_column(Date)
    relationship_ended_on: Mapped[dt.date | None] = mapped_column(Date)
    is_contact_person: Mapped[bool] = mapped_column(default=False)
    version: Mapped[int] = mapped_column(default=1)
    # Set when the person's data was erased (R14, R27): the row keeps only its pseudonymous
    # id, type and dates, so that audit, disclosure and order rows still add up.
    erased_at: Mapped[dt.datetime | None] = mapped_column()
    # Set when an erasure was asked for but a blocker kept some data: the retention run
    # finishes the erasure once no blocker is left.
    erasure_requested_at: Mapped[dt.datetime | None] = mapped_column()
    # R23: a restricted customer is kept but left out of all processing except storage.
    restricted_at: Mapped[dt.datetime | None] = mapped_column()
    restriction_reason: Mapped[str | None] = mapped_column(String(500))
    restricted_by: Mapped[str | None] = mapped_column(String(64))
    # Which ground of Art. 18(1) the restriction rests on (`RestrictionGround`), if stated.
    restriction_ground: Mapped[str | None] = mapped_column(String(32))

    __table_args__ = (
        Index("ix_customers_type", "type"),
        # Label runs filter by postal-code prefix; address updates match by postal code.
        Index("ix_customers_postal_code", "postal_code"),
    )


# A stored customer as the ORM loads it, or as a row of the table's columns (a hot read
# that needs no object): the attributes are the same.
StoredCustomer: TypeAlias = "Customer | Row[Any]"
