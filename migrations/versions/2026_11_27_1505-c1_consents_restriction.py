"""consent ledger (append-only) and restriction of processing

Revision ID: c1_consents_restriction
Revises: b1_orders
Create Date: 2026-11-27 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c1_consents_restriction"
down_revision: str | None = "b1_orders"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigIntegerKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)

APPEND_ONLY_MESSAGE = "consent_events is append-only"


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("restricted_at", Timestamp, nullable=True))
        batch.add_column(sa.Column("restriction_reason", sa.String(length=500), nullable=True))
        batch.add_column(sa.Column("restricted_by", sa.String(length=64), nullable=True))
    op.create_index("ix_customers_postal_code", "customers", ["postal_code"])
    op.create_table(
        "consent_events",
        sa.Column("id", BigIntegerKey, autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=32), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("recorded_at", Timestamp, nullable=False),
        sa.Column("recorded_by_type", sa.String(length=16), nullable=False),
        sa.Column("recorded_by_id", sa.String(length=64), nullable=True),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("evidence", sa.String(length=2000), nullable=True),
        sa.Column("privacy_notice_version", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_consent_events_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_events")),
    )
    op.create_index(
        "ix_consent_events_customer_purpose", "consent_events", ["customer_id", "purpose", "id"]
    )
    _make_ledger_append_only()


def _make_ledger_append_only() -> None:
    """Reject UPDATE, DELETE (and on PostgreSQL TRUNCATE) of consent events in the database."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE FUNCTION consent_events_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
            END;
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER consent_events_no_update_delete BEFORE UPDATE OR DELETE "
            "ON consent_events FOR EACH ROW EXECUTE FUNCTION consent_events_append_only()"
        )
        op.execute(
            "CREATE TRIGGER consent_events_no_truncate BEFORE TRUNCATE "
            "ON consent_events FOR EACH STATEMENT EXECUTE FUNCTION consent_events_append_only()"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER consent_events_no_{operation.lower()} BEFORE {operation} "
                f"ON consent_events BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER consent_events_no_truncate ON consent_events")
        op.execute("DROP TRIGGER consent_events_no_update_delete ON consent_events")
        op.execute("DROP FUNCTION consent_events_append_only()")
    op.drop_index("ix_consent_events_customer_purpose", table_name="consent_events")
    op.drop_table("consent_events")
    op.drop_index("ix_customers_postal_code", table_name="customers")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("restricted_by")
        batch.drop_column("restriction_reason")
        batch.drop_column("restricted_at")
