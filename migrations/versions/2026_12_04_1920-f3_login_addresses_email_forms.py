"""login failures per client address; e-mail addresses in their normalised form

Revision ID: f3_login_addresses_email_forms
Revises: f2_console_sessions
Create Date: 2026-12-04 19:00:00

Failed logins get the keyed hash of the client address they came from (rows from before
have none and count for their account only).

Stored e-mail addresses are brought to the form the service now stores: NFKC, then as
email-validator normalises them, and their unique key (`email_normalized`) to the local part
lower-cased and the domain as IDNA normalises it. Where two customers' addresses now have
one key, the customer whose address already had it, or else the older one, keeps it; the
other keeps its address as it was, and its id is reported in the migration's log (no
address is), to be resolved by hand: no customer and no address is lost. The downgrade
leaves the addresses as they are.
"""

import logging
import unicodedata
from collections.abc import Sequence

import email_validator
import sqlalchemy as sa
from alembic import op

revision: str = "f3_login_addresses_email_forms"
down_revision: str | None = "f2_console_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


logger = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    with op.batch_alter_table("login_failures") as batch:
        batch.add_column(sa.Column("address_key", sa.CHAR(length=64), nullable=True))
    op.create_index("ix_login_failures_address_key", "login_failures", ["address_key", "failed_at"])
    _normalise_emails()


def _forms(address: str) -> tuple[str, str] | None:
    """The stored address and its unique key, as of this revision; None when not valid."""
    text = unicodedata.normalize("NFKC", address)
    try:
        valid = email_validator.validate_email(text, check_deliverability=False)
    except email_validator.EmailNotValidError:
        return None
    return valid.normalized, f"{valid.local_part.lower()}@{valid.domain}"


def _normalise_emails() -> None:
    connection = op.get_bind()
    customers = sa.table(
        "customers",
        sa.column("id", sa.Uuid()),
        sa.column("email", sa.String()),
        sa.column("email_normalized", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    rows = connection.execute(
        sa.select(customers.c.id, customers.c.email, customers.c.email_normalized)
        .where(customers.c.email.is_not(None))
        .order_by(customers.c.created_at, customers.c.id)
    ).all()
    changes: list[tuple[object, str, str]] = []
    taken: set[str] = set()
    for row in rows:
        forms = _forms(row.email)
        if forms is None or forms == (row.email, row.email_normalized):
            taken.add(row.email_normalized)
        else:
            changes.append((row.id, *forms))
    if not changes:
        return
    # Out of the unique index's way first, so that the order of the updates does not matter.
    for customer_id, _, _ in changes:
        connection.execute(
            customers.update()
            .where(customers.c.id == customer_id)
            .values(email_normalized=f"#{customer_id}")
        )
    originals = {row.id: row for row in rows}
    collisions = []
    for customer_id, email, key in changes:
        if key in taken:
            collisions.append(customer_id)
            key, email = originals[customer_id].email_normalized, originals[customer_id].email
            if key in taken:  # its old key is now another's normalised one: a key of its own
                key = f"#{customer_id}"
        taken.add(key)
        connection.execute(
            customers.update()
            .where(customers.c.id == customer_id)
            .values(email=email, email_normalized=key)
        )
    for customer_id in collisions:
        logger.warning(
            "customer %s has an e-mail address that now equals another customer's; it was "
            "left as it was, to be resolved by hand",
            customer_id,
        )


def downgrade() -> None:
    op.drop_index("ix_login_failures_address_key", table_name="login_failures")
    with op.batch_alter_table("login_failures") as batch:
        batch.drop_column("address_key")
