"""login failures per client address; e-mail addresses in their normalised form

Revision ID: f1_login_addresses_email_forms
Revises: c5_erasure_log
Create Date: 2026-12-04 19:00:00

Failed logins get the keyed hash of the client address they came from (rows from before
have none and count for their account only).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f1_login_addresses_email_forms"
down_revision: str | None = "c5_erasure_log"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("login_failures") as batch:
        batch.add_column(sa.Column("address_key", sa.CHAR(length=64), nullable=True))
    op.create_index("ix_login_failures_address_key", "login_failures", ["address_key", "failed_at"])


def downgrade() -> None:
    op.drop_index("ix_login_failures_address_key", table_name="login_failures")
    with op.batch_alter_table("login_failures") as batch:
        batch.drop_column("address_key")
