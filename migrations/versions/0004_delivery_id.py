"""auth_events gain delivery_id: a hand-off to delivery and its outcome share it

Revision ID: 0004_delivery_id
Revises: 0003_staff_authenticators
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_delivery_id"
down_revision = "0003_staff_authenticators"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("auth_events") as batch_op:
        batch_op.add_column(sa.Column("delivery_id", sa.String(length=16), nullable=True))
    op.create_index("ix_auth_events_delivery_id", "auth_events", ["delivery_id"])


def downgrade():
    op.drop_index("ix_auth_events_delivery_id", table_name="auth_events")
    with op.batch_alter_table("auth_events") as batch_op:
        batch_op.drop_column("delivery_id")
