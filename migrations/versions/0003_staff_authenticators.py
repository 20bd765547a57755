"""staff, authenticator apps and recovery codes; audit events gain staff_id and reason

Revision ID: 0003_staff_authenticators
Revises: 0002_audit_and_verified
Create Date: 2026-11-28
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_staff_authenticators"
down_revision = "0002_audit_and_verified"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        sa.Column("setup_token_hash", sa.String(length=64), nullable=True),
        sa.Column("setup_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_login_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('admin', 'support')", name="ck_staff_role"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
        sa.UniqueConstraint("setup_token_hash"),
    )
    op.create_table(
        "authenticators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_kind", sa.String(length=8), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("secret_encrypted", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("owner_kind", "owner_id", name="uq_authenticators_owner"),
    )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_kind", sa.String(length=8), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_recovery_codes_owner", "recovery_codes", ["owner_kind", "owner_id"])
    with op.batch_alter_table("auth_events") as batch_op:
        batch_op.add_column(sa.Column("staff_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("reason", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(
            "fk_auth_events_staff_id", "staff", ["staff_id"], ["id"], ondelete="SET NULL"
        )
    op.create_index("ix_auth_events_event_at", "auth_events", ["event", "at", "channel"])


def downgrade():
    op.drop_index("ix_auth_events_event_at", table_name="auth_events")
    with op.batch_alter_table("auth_events") as batch_op:
        batch_op.drop_constraint("fk_auth_events_staff_id", type_="foreignkey")
        batch_op.drop_column("reason")
        batch_op.drop_column("staff_id")
    op.drop_index("ix_recovery_codes_owner", table_name="recovery_codes")
    op.drop_table("recovery_codes")
    op.drop_table("authenticators")
    op.drop_table("staff")
