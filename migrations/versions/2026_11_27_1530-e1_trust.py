"""trust: audit hash chain, revoked tokens, failed logins, rate limits, application role

Revision ID: e1_trust
Revises: d4_erasure_notices
Create Date: 2026-11-27 15:00:00

On PostgreSQL this revision also creates (when absent) the role `customer_registry_app`,
which the application should run as: it may read and write the application's tables, but
only INSERT and SELECT on `audit_events` and `audit_chain`. The user that runs the
migrations owns the tables and keeps every right; the role is cluster-wide and is left in
place by the downgrade (its rights on this database's tables are revoked).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "e1_trust"
down_revision: str | None = "d4_erasure_notices"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigIntegerKey = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
Timestamp = sa.DateTime(timezone=True)

APP_ROLE = "customer_registry_app"
AUDIT_TABLES = ("audit_events", "audit_chain")


def upgrade() -> None:
    op.create_table(
        "audit_chain",
        sa.Column("position", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("event_id", BigIntegerKey, nullable=False),
        sa.Column("hash", sa.CHAR(length=64), nullable=False),
        sa.Column("sealed_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"], ["audit_events.id"], name=op.f("fk_audit_chain_event_id_audit_events")
        ),
        sa.PrimaryKeyConstraint("position", name=op.f("pk_audit_chain")),
        sa.UniqueConstraint("event_id", name=op.f("uq_audit_chain_event_id")),
    )
    op.create_table(
        "revoked_tokens",
        sa.Column("token_id", sa.String(length=64), nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("token_id", name=op.f("pk_revoked_tokens")),
    )
    op.create_index("ix_revoked_tokens_expires_at", "revoked_tokens", ["expires_at"])
    op.create_table(
        "login_failures",
        sa.Column("id", BigIntegerKey, autoincrement=True, nullable=False),
        sa.Column("account_key", sa.CHAR(length=64), nullable=False),
        sa.Column("failed_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_failures")),
    )
    op.create_index("ix_login_failures_account_key", "login_failures", ["account_key", "failed_at"])
    op.create_index("ix_login_failures_failed_at", "login_failures", ["failed_at"])
    op.create_table(
        "rate_limit_counters",
        sa.Column("bucket", sa.String(length=200), nullable=False),
        sa.Column("window_start", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("bucket", "window_start", name=op.f("pk_rate_limit_counters")),
    )
    op.create_index("ix_rate_limit_counters_window_start", "rate_limit_counters", ["window_start"])
    _make_chain_append_only()
    if op.get_bind().dialect.name == "postgresql":
        _grant_application_role()


def _make_chain_append_only() -> None:
    """The same refusal as audit_events: no UPDATE, DELETE or TRUNCATE of the chain."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION audit_chain_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit_chain is append-only' USING ERRCODE = 'insufficient_privilege';
            END;
            $$
            """
        )
        op.execute(
            "CREATE TRIGGER audit_chain_no_update_delete BEFORE UPDATE OR DELETE "
            "ON audit_chain FOR EACH ROW EXECUTE FUNCTION audit_chain_append_only()"
        )
        op.execute(
            "CREATE TRIGGER audit_chain_no_truncate BEFORE TRUNCATE "
            "ON audit_chain FOR EACH STATEMENT EXECUTE FUNCTION audit_chain_append_only()"
        )
    else:
        for operation in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_chain_no_{operation.lower()} BEFORE {operation} "
                "ON audit_chain BEGIN SELECT RAISE(ABORT, 'audit_chain is append-only'); END"
            )


def _grant_application_role() -> None:
    """The application role: full use of the tables, but the audit tables only grow."""
    op.execute(
        f"""
        DO $$
        BEGIN
            CREATE ROLE {APP_ROLE} NOLOGIN;
        EXCEPTION WHEN duplicate_object THEN
            NULL;
        END
        $$
        """
    )
    op.execute(f"GRANT USAGE ON SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {APP_ROLE}")
    op.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
    # Tables that later revisions create (as the same migration user) get the same rights.
    op.execute(
        "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO {APP_ROLE}"
    )
    op.execute(
        f"ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {APP_ROLE}"
    )
    op.execute(f"REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON alembic_version FROM {APP_ROLE}")
    for table in AUDIT_TABLES:
        op.execute(f"REVOKE ALL ON {table} FROM PUBLIC")
        op.execute(
            f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {table} FROM {APP_ROLE}"
        )
        op.execute(f"GRANT SELECT, INSERT ON {table} TO {APP_ROLE}")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "ALTER DEFAULT PRIVILEGES IN SCHEMA public "
            f"REVOKE SELECT, INSERT, UPDATE, DELETE ON TABLES FROM {APP_ROLE}"
        )
        revoke_sequences = f"REVOKE USAGE, SELECT ON SEQUENCES FROM {APP_ROLE}"  # noqa: S608
        op.execute(f"ALTER DEFAULT PRIVILEGES IN SCHEMA public {revoke_sequences}")
        op.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {APP_ROLE}")
        op.execute(f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM {APP_ROLE}")
        op.execute(f"REVOKE USAGE ON SCHEMA public FROM {APP_ROLE}")
        op.execute("DROP TRIGGER audit_chain_no_truncate ON audit_chain")
        op.execute("DROP TRIGGER audit_chain_no_update_delete ON audit_chain")
        op.execute("DROP FUNCTION audit_chain_append_only()")
    op.drop_index("ix_rate_limit_counters_window_start", table_name="rate_limit_counters")
    op.drop_table("rate_limit_counters")
    op.drop_index("ix_login_failures_failed_at", table_name="login_failures")
    op.drop_index("ix_login_failures_account_key", table_name="login_failures")
    op.drop_table("login_failures")
    op.drop_index("ix_revoked_tokens_expires_at", table_name="revoked_tokens")
    op.drop_table("revoked_tokens")
    op.drop_table("audit_chain")
