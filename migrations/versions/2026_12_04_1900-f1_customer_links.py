"""customer links (the customers the web shop created or was linked to); restriction grounds

Revision ID: f1_customer_links
Revises: c5_erasure_log
Create Date: 2026-12-04 19:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f1_customer_links"
down_revision: str | None = "c5_erasure_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("restriction_ground", sa.String(length=32), nullable=True))
    op.create_table(
        "customer_links",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_customer_links_customer_id_customers")
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipients.id"],
            name=op.f("fk_customer_links_recipient_id_recipients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_links")),
        sa.UniqueConstraint(
            "recipient_id", "customer_id", name=op.f("uq_customer_links_recipient_id")
        ),
    )
    # Every customer the web shop wrote so far was created through its key: linked to it.
    op.execute(
        """
        INSERT INTO customer_links (customer_id, recipient_id, created_at, created_by)
        SELECT d.customer_id, d.recipient_id, MIN(d.occurred_at), NULL
        FROM disclosures d JOIN recipients r ON r.id = d.recipient_id
        JOIN customers c ON c.id = d.customer_id
        WHERE r.role = 'web_shop_operator'
        GROUP BY d.customer_id, d.recipient_id
        """
    )

    # Every disclosure names its purpose: the web shop's were its service for the company.
    op.execute("UPDATE disclosures SET purpose = 'web_shop_service' WHERE purpose IS NULL")


def downgrade() -> None:
    op.drop_table("customer_links")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("restriction_ground")
