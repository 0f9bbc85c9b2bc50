"""erasure log, replayed after a restore

Revision ID: c5_erasure_log
Revises: e1_trust
Create Date: 2026-11-27 15:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c5_erasure_log"
down_revision: str | None = "e1_trust"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "erasure_log",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("erased_at", Timestamp, nullable=False),
        sa.Column("reference", sa.String(length=64), nullable=False),
        sa.Column("replayed_at", Timestamp, nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_erasure_log")),
    )
    op.create_index(
        "ix_erasure_log_customer_id", "erasure_log", ["customer_id", "erased_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_erasure_log_customer_id", table_name="erasure_log")
    op.drop_table("erasure_log")
