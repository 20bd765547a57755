"""auth_events.reason holds a staff member's reason (up to 200 characters), not only a code

Revision ID: 0007_audit_reason_text
Revises: 0006_message_units
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_audit_reason_text"
down_revision = "0006_message_units"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("auth_events") as batch_op:
        batch_op.alter_column(
            "reason", existing_type=sa.String(length=32), type_=sa.String(length=200)
        )


def downgrade():
    # Longer reasons are cut to fit: the old column cannot hold them.
    op.execute("UPDATE auth_events SET reason = substr(reason, 1, 32) WHERE length(reason) > 32")
    with op.batch_alter_table("auth_events") as batch_op:
        batch_op.alter_column(
            "reason", existing_type=sa.String(length=200), type_=sa.String(length=32)
        )
