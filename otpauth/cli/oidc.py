"""``flask oidc clients create|list|show|delete|rotate-secret`` and ``flask oidc keys rotate``."""

from __future__ import annotations

import click

from ..oidc import clients, keys
from ..platform.extensions import db
from ..platform.timefmt import display_time
from ..signin import audit
from .base import OpsGroup

oidc_cli = OpsGroup("oidc", help="The OpenID Provider: registered clients and signing keys.")
clients_cli = OpsGroup("clients", help="Register, list, show and delete client applications.")
keys_cli = OpsGroup("keys", help="Signing keys.")
oidc_cli.add_command(clients_cli)
oidc_cli.add_command(keys_cli)


def _client(client_id: str) -> clients.OidcClient:
    client = clients.find(client_id)
    if client is None:
        raise click.ClickException(f"no client {client_id!r}")
    return client


@clients_cli.command("create")
@click.option("--name", required=True, help="The application's name, shown on the consent page.")
@click.option("--redirect-uri", "redirect_uris", multiple=True, required=True)
@click.option("--post-logout-uri", "post_logout_uris", multiple=True)
@click.option("--backchannel-logout-uri", default=None)
@click.option("--public", is_flag=True, help="No secret: a browser or mobile app (PKCE S256).")
@click.option("--first-party", is_flag=True, help="The utility's own: no consent page.")
def create(
    name: str,
    redirect_uris: tuple[str, ...],
    post_logout_uris: tuple[str, ...],
    backchannel_logout_uri: str | None,
    public: bool,
    first_party: bool,
) -> None:
    """Register a client; print its id and (confidential clients) its secret, once."""
    try:
        created = clients.create(
            name, list(redirect_uris), post_logout_uris=list(post_logout_uris),
            backchannel_logout_uri=backchannel_logout_uri, public=public, first_party=first_party,
        )  # fmt: skip
    except clients.ClientError as exc:
        raise click.ClickException(str(exc)) from None
    audit.record("oidc_client_created", reason=created.client.client_id)
    db.session.commit()
    click.echo(f"client_id: {created.client.client_id}")
    if created.secret:
        click.echo(f"client_secret: {created.secret}")
        click.echo("the secret is shown only now; store it in the application's settings")


@clients_cli.command("list")
def list_clients() -> None:
    """One line per client: id, name, kind, last use."""
    for c in clients.all_clients():
        kind = ("public" if c.public else "confidential") + (
            ", first-party" if c.first_party else ""
        )
        used = display_time(c.last_used_at) if c.last_used_at else "never used"
        click.echo(f"{c.client_id}  {c.name}  ({kind})  {used}")


@clients_cli.command("show")
@click.argument("client_id")
def show(client_id: str) -> None:
    """Everything registered for one client (never its secret)."""
    c = _client(client_id)
    click.echo(f"client_id: {c.client_id}\nname: {c.name}")
    click.echo(f"public: {c.public}\nfirst_party: {c.first_party}")
    for uri in c.redirect_list:
        click.echo(f"redirect_uri: {uri}")
    for uri in c.post_logout_list:
        click.echo(f"post_logout_redirect_uri: {uri}")
    click.echo(f"backchannel_logout_uri: {c.backchannel_logout_uri or '-'}")


@clients_cli.command("delete")
@click.argument("client_id")
def delete(client_id: str) -> None:
    """Remove a client: its codes and tokens stop working at once."""
    c = _client(client_id)
    db.session.delete(c)
    audit.record("oidc_client_deleted", reason=client_id)
    db.session.commit()
    click.echo(f"deleted {client_id}")


@clients_cli.command("rotate-secret")
@click.argument("client_id")
def rotate_secret(client_id: str) -> None:
    """A new secret for a confidential client; the old one stops at once."""
    try:
        secret = clients.rotate_secret(_client(client_id))
    except clients.ClientError as exc:
        raise click.ClickException(str(exc)) from None
    db.session.commit()
    click.echo(f"client_secret: {secret}")


@keys_cli.command("rotate")
@click.option("--alg", type=click.Choice(["RS256", "ES256"]), default=None)
def rotate_keys(alg: str | None) -> None:
    """Add a new signing key; the old one stays published until its tokens expire."""
    row = keys.rotate(alg)
    audit.record("oidc_key_rotated", reason=row.kid[:32])
    click.echo(f"new signing key {row.kid} ({row.alg})")
