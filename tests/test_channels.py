"""The channel registry: every channel defines every part, and the places that used to
test the channel string ask it instead."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from otpauth.signin import channels
from otpauth.signin.channels import CHANNELS, Channel
from otpauth.signin.contacts import InvalidContact
from otpauth.signin.models import Customer

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Every channel, with each part spelled out: a channel added without one of them, or a
# part changed by accident, fails here by name.
EXPECTED = {
    "email": dict(
        label="E-mail",
        column="email",
        verified_attr="email_verified_at",
        sender="EMAIL_BACKEND",
        templates="email",
        html=True,
        has_own_check=False,
    ),
    "sms": dict(
        label="Text message (SMS)",
        column="phone",
        verified_attr="phone_verified_at",
        sender="SMS_BACKEND",
        templates="sms",
        html=False,
        has_own_check=False,
    ),
    "whatsapp": dict(
        label="WhatsApp",
        column="phone",
        verified_attr="phone_verified_at",
        sender="WHATSAPP_BACKEND",
        templates="whatsapp",
        html=False,
        has_own_check=False,
        metered=True,
        fallback="sms",
        shares="sms",
        notices=False,
        budgets=("WHATSAPP_MAX_PER_HOUR", "WHATSAPP_MAX_PER_PREFIX_PER_HOUR"),
    ),
    "app": dict(
        label="Authenticator app",
        column=None,
        verified_attr=None,
        sender=None,
        templates=None,
        html=False,
        has_own_check=True,
    ),
}


def test_every_channel_is_listed_with_every_part():
    assert set(CHANNELS) == set(EXPECTED)
    for name, parts in EXPECTED.items():
        channel = CHANNELS[name]
        assert channel.name == name
        for part, value in parts.items():
            assert getattr(channel, part) == value, f"{name}.{part}"
        for part in ("noun", "short", "label"):
            assert getattr(channel, part), f"{name}.{part} is empty"
        assert callable(channel.normalize) and callable(channel.mask)


@pytest.mark.parametrize("channel", list(CHANNELS.values()), ids=list(CHANNELS))
def test_parts_point_at_real_things(channel: Channel):
    for attr in (channel.column, channel.verified_attr):
        if attr is not None:
            assert hasattr(Customer, attr), attr
    if channel.sender:
        import config

        assert channel.sender in config.PARSERS
    if channel.templates:
        for kind in ("otp", "notice") if channel.notices else ("otp",):
            exts = ("txt", "html") if channel.html else ("txt",)
            for ext in exts:
                path = os.path.join(ROOT, "templates", channel.templates, f"{kind}.{ext}")
                assert os.path.exists(path), path
    # A channel without a column takes either kind of contact.
    contact_kinds = [channel.contact_kind(c).name for c in ("a@example.com", "+919876543210")]
    if channel.column:
        owner = channel.shares or channel.name  # WhatsApp uses the phone SMS owns
        assert contact_kinds == [owner, owner]
    else:
        assert contact_kinds == ["email", "sms"]


def test_app_contacts_are_typed_as_email_or_phone():
    app = CHANNELS["app"]
    assert app.normalize(" Test@Example.COM ", "IN") == "test@example.com"
    assert app.normalize("98765 43210", "IN") == "+919876543210"
    assert app.mask("test@example.com") == "t***@example.com"
    assert app.mask("+919876543210") == "+91******3210"
    with pytest.raises(InvalidContact):
        app.normalize("not a contact", "IN")


def test_auto_rule_and_unknown_names():
    assert channels.detect("a@b.example") == "email"
    assert channels.detect("98765 43210") == "sms"
    with pytest.raises(InvalidContact):
        channels.get("fax")
    assert [c.name for c in channels.sending()] == ["email", "sms", "whatsapp"]


@pytest.mark.parametrize(
    ("posted", "contact", "sent_by"),
    [({}, "test@example.com", "email"), ({"channel": "auto"}, "98765 43210", "sms")],
)
def test_request_without_a_channel_picks_it_from_the_contact(
    client, customer, outbox, sms, posted, contact, sent_by
):
    from tests.conftest import csrf_token

    data = {"contact": contact, "csrf_token": csrf_token(client), **posted}
    response = client.post("/otp/request/", data=data)
    assert response.status_code == 302 and response.location.endswith("/otp/verify/")
    assert len(outbox if sent_by == "email" else sms) == 1


def test_request_form_offers_the_app(client):
    html = client.get("/otp/request/").get_data(as_text=True)
    assert 'value="app"' in html and "Authenticator app" in html


# Comparisons with a channel's name that are not about a channel: path -> (code, reason).
NOT_A_CHANNEL = {
    "otpauth/oidc/claims.py": ("'email' in scopes", "an OpenID Connect scope, not a channel"),
}


def channel_literal_comparisons(source: str) -> list[str]:
    """Each comparison of ``source`` with a channel's name written as a string literal."""

    def names_a_channel(node: ast.expr) -> bool:
        if isinstance(node, ast.Tuple | ast.List | ast.Set):
            return any(names_a_channel(e) for e in node.elts)
        return isinstance(node, ast.Constant) and node.value in CHANNELS

    return [
        ast.unparse(node)
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Compare)
        and any(map(names_a_channel, [node.left, *node.comparators]))
    ]


def test_only_the_registry_compares_with_a_channel_name():
    """A new channel is one entry in ``channels``: no module tests ``== "sms"`` by itself."""
    package = Path(__file__).resolve().parent.parent / "otpauth"
    found = []
    for path in sorted(package.rglob("*.py")):
        where = path.relative_to(package.parent).as_posix()
        if where == "otpauth/signin/channels.py":
            continue
        allowed = NOT_A_CHANNEL.get(where, ("", ""))[0]
        found += [
            f"{where}: {c}" for c in channel_literal_comparisons(path.read_text()) if c != allowed
        ]
    assert found == []


def test_the_channel_check_finds_a_comparison():
    source = 'if choice == "email" or channel in ("sms", "app") or x != "web":\n    pass\n'
    assert channel_literal_comparisons(source) == [
        "choice == 'email'",
        "channel in ('sms', 'app')",
    ]


def test_a_backend_without_a_sender_is_a_config_error(app):
    """The sender comes from the backends table: an unknown one never falls through to Twilio."""
    from config import ConfigError
    from otpauth.delivery.backends import BACKENDS, build_sender

    app.config["SMS_BACKEND"] = "carrier-pigeon"
    with pytest.raises(ConfigError, match="SMS_BACKEND='carrier-pigeon' must be one of"):
        build_sender(app, "sms")
    # Each sender setting's values, as settings_table lets them be chosen ("off": no sender).
    assert {setting: sorted(v for s, v in BACKENDS if s == setting) for setting, _ in BACKENDS} == {
        "EMAIL_BACKEND": ["console", "smtp"],
        "SMS_BACKEND": ["console", "msg91", "twilio"],
        "WHATSAPP_BACKEND": ["console", "twilio"],
    }
