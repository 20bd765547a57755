"""``flask oidc clients …`` and ``flask oidc keys rotate``."""

from __future__ import annotations

import hashlib
import re

import pytest

from tests.oidc_support import forget_keys


@pytest.fixture(autouse=True)
def fresh_keys(app):
    forget_keys(app)


def _create(runner, *extra: str):  # noqa: ANN202
    args = ["oidc", "clients", "create", "--name", "Billing", "--redirect-uri",
            "http://localhost:8000/cb", *extra]  # fmt: skip
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    client_id = re.search(r"client_id: (\S+)", result.output).group(1)
    secret = re.search(r"client_secret: (\S+)", result.output)
    return client_id, secret.group(1) if secret else None


def test_create_shows_the_secret_once_and_stores_only_its_hash(app, runner):
    from otpauth.oidc import clients
    from otpauth.signin import audit

    client_id, secret = _create(runner)
    assert secret and len(secret) >= 43
    with app.app_context():
        row = clients.find(client_id)
        assert row.secret_hash == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in (row.secret_hash or "")
        assert [e.reason for e in audit.recent(event="oidc_client_created")] == [client_id]
    shown = runner.invoke(args=["oidc", "clients", "show", client_id]).output
    assert "redirect_uri: http://localhost:8000/cb" in shown and secret not in shown
    assert client_id in runner.invoke(args=["oidc", "clients", "list"]).output


def test_public_clients_have_no_secret_and_cannot_rotate_one(runner):
    client_id, secret = _create(runner, "--public")
    assert secret is None
    result = runner.invoke(args=["oidc", "clients", "rotate-secret", client_id])
    assert result.exit_code != 0 and "public" in result.output


def test_rotate_secret_replaces_it_and_delete_removes_the_client(app, runner):
    from otpauth.oidc import clients

    client_id, old = _create(runner)
    result = runner.invoke(args=["oidc", "clients", "rotate-secret", client_id])
    new = re.search(r"client_secret: (\S+)", result.output).group(1)
    with app.app_context():
        adapter = clients.AuthlibClient(clients.find(client_id))
        assert adapter.check_client_secret(new) and not adapter.check_client_secret(old)
    assert runner.invoke(args=["oidc", "clients", "delete", client_id]).exit_code == 0
    with app.app_context():
        assert clients.find(client_id) is None


@pytest.mark.parametrize(
    "uri", ["ftp://x/cb", "http://example.com/cb", "https://x/cb#frag", "nothing"]
)
def test_bad_redirect_uris_are_refused(runner, uri):
    args = ["oidc", "clients", "create", "--name", "X", "--redirect-uri", uri]
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and "Traceback" not in result.output


def test_key_rotation_keeps_the_old_key_published_and_es256_is_selectable(app, client, runner):
    first = client.get("/oauth/jwks").get_json()["keys"]
    assert [k["alg"] for k in first] == ["RS256"]
    result = runner.invoke(args=["oidc", "keys", "rotate", "--alg", "ES256"])
    assert result.exit_code == 0, result.output
    after = client.get("/oauth/jwks").get_json()["keys"]
    assert [k["alg"] for k in after] == ["ES256", "RS256"]
    assert after[1]["kid"] == first[0]["kid"] and "d" not in after[0]
    with app.app_context():
        from otpauth.oidc import keys

        assert keys.current().alg == "ES256"
