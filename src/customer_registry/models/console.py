"""Signed-in sessions of the staff console."""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from customer_registry.models.base import Base, utcnow


class ConsoleSession(Base):
    """A person signed in to the console: the access token it holds, its language, its activity.

    The cookie carries the access token; the row is what makes the session end on the
    server (sign-out, idle timeout) and what its CSRF token is bound to.
    """

    __tablename__ = "console_sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column()
    token_id: Mapped[str] = mapped_column(String(64), unique=True)
    language: Mapped[str] = mapped_column(String(2))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (Index("ix_console_sessions_last_seen_at", "last_seen_at"),)
