"""auth_events audit trail; when each contact was proven by a login

Revision ID: 0002_audit_and_verified
Revises: 0001_customers
Create Date: 2026-11-24
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_audit_and_verified"
down_revision = "0001_customers"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("customers") as batch_op:
        batch_op.add_column(sa.Column("email_verified_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("phone_verified_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "auth_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("event", sa.String(length=32), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=8), nullable=True),
        sa.Column("contact_hash", sa.String(length=64), nullable=True),
        sa.Column("ip", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=256), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_auth_events_at", "auth_events", ["at"])
    op.create_index("ix_auth_events_contact_hash", "auth_events", ["contact_hash"])
    op.create_index("ix_auth_events_customer_at", "auth_events", ["customer_id", "at"])


def downgrade():
    op.drop_table("auth_events")
    with op.batch_alter_table("customers") as batch_op:
        batch_op.drop_column("phone_verified_at")
        batch_op.drop_column("email_verified_at")
