"""auth_events gain units: what a sent message is billed as (SMS segments, WhatsApp 1)

Revision ID: 0006_message_units
Revises: 0005_oidc
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_message_units"
down_revision = "0005_oidc"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("auth_events") as batch_op:
        batch_op.add_column(sa.Column("units", sa.SmallInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table("auth_events") as batch_op:
        batch_op.drop_column("units")
