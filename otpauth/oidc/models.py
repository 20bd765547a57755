"""SQL models of the OpenID Provider: registered clients and signing keys."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..platform.extensions import db
from ..signin.models import utcnow


class OidcClient(db.Model):
    """An application that sends customers here to sign in (a relying party)."""

    __tablename__ = "oidc_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    secret_hash: Mapped[str | None] = mapped_column(String(64))  # None for a public client
    redirect_uris: Mapped[str] = mapped_column(Text)  # JSON list
    post_logout_redirect_uris: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    backchannel_logout_uri: Mapped[str | None] = mapped_column(String(2000))
    public: Mapped[bool] = mapped_column(default=False)
    first_party: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def redirect_list(self) -> list[str]:
        """The registered redirect URIs, in order."""
        return list(json.loads(self.redirect_uris))

    @property
    def post_logout_list(self) -> list[str]:
        """The registered post-logout redirect URIs."""
        return list(json.loads(self.post_logout_redirect_uris or "[]"))


class OidcKey(db.Model):
    """A signing key: the public JWK in clear, the private JWK encrypted (MultiFernet)."""

    __tablename__ = "oidc_keys"

    id: Mapped[int] = mapped_column(primary_key=True)
    kid: Mapped[str] = mapped_column(String(64), unique=True)
    alg: Mapped[str] = mapped_column(String(8))
    private_encrypted: Mapped[str] = mapped_column(Text)
    public_jwk: Mapped[str] = mapped_column(Text)  # JSON
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
