"""Passkeys: the passkeys table; customers and staff gain a WebAuthn user handle and the
passkey offer's answer

Revision ID: 0008_passkeys
Revises: 0007_audit_reason_text
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_passkeys"
down_revision = "0007_audit_reason_text"
branch_labels = None
depends_on = None

OWNERS = ("customers", "staff")


def upgrade():
    op.create_table(
        "passkeys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner_kind", sa.String(length=8), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("credential_id", sa.String(length=1366), nullable=False),
        sa.Column("public_key", sa.LargeBinary(), nullable=False),
        sa.Column("sign_count", sa.BigInteger(), nullable=False),
        sa.Column("transports", sa.String(length=200), nullable=False),
        sa.Column("backed_up", sa.Boolean(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credential_id"),
    )
    op.create_index("ix_passkeys_owner", "passkeys", ["owner_kind", "owner_id"])
    for table in OWNERS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.add_column(sa.Column("webauthn_user_handle", sa.LargeBinary(length=64)))
            batch_op.add_column(sa.Column("passkey_offer", sa.String(length=8)))
            batch_op.create_unique_constraint(f"uq_{table}_webauthn_user_handle", ["webauthn_user_handle"])


def downgrade():
    for table in OWNERS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_webauthn_user_handle", type_="unique")
            batch_op.drop_column("passkey_offer")
            batch_op.drop_column("webauthn_user_handle")
    op.drop_index("ix_passkeys_owner", table_name="passkeys")
    op.drop_table("passkeys")
