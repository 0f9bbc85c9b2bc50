"""erasure across the register: pending erasures, recipient notices, erasable evidence

Revision ID: d4_erasure_notices
Revises: c4_gdpr_requests
Create Date: 2026-11-27 15:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d4_erasure_notices"
down_revision: str | None = "c4_gdpr_requests"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Timestamp = sa.DateTime(timezone=True)
BigIntegerKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
APPEND_ONLY_MESSAGE = "consent_events is append-only"
# The ledger stays append-only, except that erasure may empty an event's free-text evidence.
KEPT_COLUMNS = (
    "id",
    "customer_id",
    "purpose",
    "decision",
    "recorded_at",
    "recorded_by_type",
    "recorded_by_id",
    "channel",
    "privacy_notice_version",
)


def upgrade() -> None:
    with op.batch_alter_table("customers") as batch:
        batch.add_column(sa.Column("erasure_requested_at", Timestamp, nullable=True))
    op.create_table(
        "recipient_notices",
        sa.Column("id", BigIntegerKey, autoincrement=True, nullable=False),
        sa.Column("recipient_id", sa.Uuid(), nullable=False),
        sa.Column("customer_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("gdpr_request_id", sa.Uuid(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("acknowledged_at", Timestamp, nullable=True),
        sa.Column("acknowledged_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["recipients.id"],
            name=op.f("fk_recipient_notices_recipient_id_recipients"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipient_notices")),
    )
    op.create_index(
        "ix_recipient_notices_recipient_id", "recipient_notices", ["recipient_id", "id"]
    )
    _allow_erasing_evidence()


def _allow_erasing_evidence() -> None:
    same = " AND ".join(
        f"NEW.{column} IS NOT DISTINCT FROM OLD.{column}" for column in KEPT_COLUMNS
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION consent_events_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND NEW.evidence IS NULL AND {same} THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
            END;
            $$
            """
        )
    else:
        sqlite_same = " AND ".join(f"NEW.{column} IS OLD.{column}" for column in KEPT_COLUMNS)
        op.execute("DROP TRIGGER consent_events_no_update")
        op.execute(
            "CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events "
            f"WHEN NOT (NEW.evidence IS NULL AND {sqlite_same}) "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"""
            CREATE OR REPLACE FUNCTION consent_events_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION '{APPEND_ONLY_MESSAGE}' USING ERRCODE = 'insufficient_privilege';
            END;
            $$
            """
        )
    else:
        op.execute("DROP TRIGGER consent_events_no_update")
        op.execute(
            "CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events "
            f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY_MESSAGE}'); END"
        )
    op.drop_index("ix_recipient_notices_recipient_id", table_name="recipient_notices")
    op.drop_table("recipient_notices")
    with op.batch_alter_table("customers") as batch:
        batch.drop_column("erasure_requested_at")
