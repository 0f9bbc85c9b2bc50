"""data-subject requests, and erasure of customers

Revision ID: c4_gdpr_requests
Revises: c1_consents_restriction
Create Date: 2026-11-27 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4_gdpr_requests"
down_revision: str | None = "c1_consents_restriction"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("erased_at", Timestamp, nullable=True))
    op.create_table(
        "gdpr_requests",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("type", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=True),
        sa.Column("requester_name", sa.String(length=200), nullable=True),
        sa.Column("requester_email", sa.String(length=254), nullable=True),
        sa.Column("requester_address", sa.String(length=400), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("received_at", Timestamp, nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("deadline_on", sa.Date(), nullable=False),
        sa.Column("extension_reason", sa.Text(), nullable=True),
        sa.Column("extended_at", Timestamp, nullable=True),
        sa.Column("signed", sa.Boolean(), nullable=False),
        sa.Column("verification_method", sa.String(length=64), nullable=True),
        sa.Column("verified_by", sa.String(length=64), nullable=True),
        sa.Column("verified_at", Timestamp, nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("closed_at", Timestamp, nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.Column("submitted_by_type", sa.String(length=16), nullable=False),
        sa.Column("submitted_by_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("updated_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_gdpr_requests_customer_id_customers"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_gdpr_requests")),
    )
    op.create_index("ix_gdpr_requests_customer_id", "gdpr_requests", ["customer_id"])
    op.create_index("ix_gdpr_requests_deadline_on", "gdpr_requests", ["deadline_on", "id"])


def downgrade() -> None:
    op.drop_index("ix_gdpr_requests_deadline_on", table_name="gdpr_requests")
    op.drop_index("ix_gdpr_requests_customer_id", table_name="gdpr_requests")
    op.drop_table("gdpr_requests")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("erased_at")
