"""Personal staff accounts (R8, R16)."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from customer_registry.models.base import Base, Timestamps, UUIDPrimaryKey


class Role(StrEnum):
    admin = "admin"
    privacy_officer = "privacy_officer"
    staff = "staff"


class User(UUIDPrimaryKey, Timestamps, Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    # R16: an account cannot be used before its confidentiality commitment is recorded.
    confidentiality_committed_at: Mapped[dt.datetime | None] = mapped_column()
