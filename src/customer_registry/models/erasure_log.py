"""The erasure log in the database: which customers were erased, when and on what ground.

The same entries are appended to a file kept outside the database backups (see
erasure_log/journal.py); this table is the copy that the audit view and queries use, and
it holds no personal data, only the customer's pseudonymous id.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Index, String
from sqlalchemy.orm import Mapped, mapped_column

from customer_registry.models.base import Base


class ErasureLogEntry(Base):
    __tablename__ = "erasure_log"

    # The id of the entry, the same in the file: a replay after a restore finds it again.
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    customer_id: Mapped[uuid.UUID] = mapped_column()
    erased_at: Mapped[dt.datetime] = mapped_column()
    # `gdpr_request:<id>` or `retention`.
    reference: Mapped[str] = mapped_column(String(64))
    # When `erasures replay` erased the customer again after a restore.
    replayed_at: Mapped[dt.datetime | None] = mapped_column()

    __table_args__ = (Index("ix_erasure_log_customer_id", "customer_id", "erased_at"),)
