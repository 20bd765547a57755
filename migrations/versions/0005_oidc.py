"""OpenID Connect provider: customers gain oidc_sub; clients and signing keys

Revision ID: 0005_oidc
Revises: 0004_delivery_id
Create Date: 2026-12-06
"""

import secrets

import sqlalchemy as sa
from alembic import op

revision = "0005_oidc"
down_revision = "0004_delivery_id"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("customers") as batch_op:
        batch_op.add_column(sa.Column("oidc_sub", sa.String(length=43), nullable=True))
        batch_op.create_unique_constraint("uq_customers_oidc_sub", ["oidc_sub"])
    customers = sa.table("customers", sa.column("id", sa.Integer), sa.column("oidc_sub"))
    conn = op.get_bind()
    for (cid,) in conn.execute(sa.select(customers.c.id)).all():
        conn.execute(
            customers.update()
            .where(customers.c.id == cid)
            .values(oidc_sub=secrets.token_urlsafe(24))
        )
    op.create_table(
        "oidc_clients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("secret_hash", sa.String(length=64), nullable=True),
        sa.Column("redirect_uris", sa.Text(), nullable=False),
        sa.Column("post_logout_redirect_uris", sa.Text(), nullable=False),
        sa.Column("backchannel_logout_uri", sa.String(length=2000), nullable=True),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("first_party", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id"),
    )
    op.create_table(
        "oidc_keys",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kid", sa.String(length=64), nullable=False),
        sa.Column("alg", sa.String(length=8), nullable=False),
        sa.Column("private_encrypted", sa.Text(), nullable=False),
        sa.Column("public_jwk", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("retired_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("kid"),
    )


def downgrade():
    op.drop_table("oidc_keys")
    op.drop_table("oidc_clients")
    with op.batch_alter_table("customers") as batch_op:
        batch_op.drop_constraint("uq_customers_oidc_sub", type_="unique")
        batch_op.drop_column("oidc_sub")
