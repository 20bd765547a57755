"""The cheaper paths of issue 13 answer exactly as what they stand in for.

Each was made cheaper (bench/login_load.py measures by how much); these pin that the
answer is the library's own: WTForms' HTML, Jinja's and Flask-Babel's translations, Flask's
session cookie, a mail the standard parser reads back.
"""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from flask import render_template_string

from otpauth.delivery import DeliveryError, Message
from otpauth.delivery.smtp import mime_bytes
from otpauth.web.auth.forms import RequestForm, VerifyForm


def test_form_fields_render_as_before(app):
    with app.test_request_context("/otp/request/"):
        form = RequestForm()
        contact = str(form.contact(size=32, maxlength=254, aria_describedby="contact-hint"))
        options = [str(option()) for option in form.channel]
        code = str(VerifyForm().code(value="", size=10))
    assert contact == (
        '<input aria-describedby="contact-hint" autocapitalize="none" autocomplete="username" '
        'id="contact" maxlength="254" name="contact" required size="32" spellcheck="false" '
        'type="text" value="">'
    )
    assert options[0] == '<input checked id="channel-0" name="channel" type="radio" value="auto">'
    assert 'autocomplete="one-time-code"' in code and 'inputmode="numeric"' in code


def render(app, source: str, **context) -> str:  # noqa: ANN001
    with app.test_request_context("/?lang=hi"):
        return app.jinja_env.from_string(source).render(**context)


def test_page_translations_escape_and_format_like_jinja(app):
    page = "{{ _('Welcome, %(name)s', name=who) }}|{{ _('100%% sure') }}"
    welcome, sure = render(app, page, who="<b>A</b>").split("|")
    assert welcome.endswith(", &lt;b&gt;A&lt;/b&gt;") and not welcome.startswith("Welcome")
    assert sure == "100% sure"  # not in the catalog: the text itself, %% read as %
    plural = "{{ ngettext('%(num)d second', '%(num)d seconds', n) }}"
    assert render(app, plural, n=1) != render(app, plural, n=2)  # Hindi's own forms


def test_forced_locale_gets_its_own_catalog(app):
    from flask_babel import force_locale

    from otpauth.platform.catalog import gettext

    with app.test_request_context("/?lang=hi"):
        hindi = gettext("Sign in")
        with force_locale("en"):
            assert gettext("Sign in") == "Sign in"
        assert gettext("Sign in") == hindi != "Sign in"


def test_mail_reads_back_and_refuses_header_breaks():
    message = Message(to="a@example.com", subject="Kôd", text="code 123456\n", html="<p>1</p>")
    data = mime_bytes(message, "Billing <no-reply@example.org>", "example.org")
    assert b"\r\n" in data and b"\n" not in data.replace(b"\r\n", b"")  # CRLF only
    mail = message_from_bytes(data, policy=policy.default)
    assert mail["Subject"] == "Kôd" and mail["To"] == "a@example.com"
    assert mail.get_body(("plain",)).get_content().rstrip() == "code 123456"
    with pytest.raises(DeliveryError):
        mime_bytes(Message(to="a@example.com\r\nBcc: x@y.z", text="t"), "a@b.c", "b.c")


def test_cookies_read_both_ways_with_flasks_own_interface(app):
    from flask.sessions import SecureCookieSessionInterface

    stock = SecureCookieSessionInterface().get_signing_serializer(app)
    ours = app.session_interface.get_signing_serializer(app)
    data = {"_sid": "customer:1:abc", "otp": {"tag": "t", "next": None}, "csrf_token": "x" * 40}
    assert ours.loads(stock.dumps(data)) == data  # a cookie from before still opens
    assert stock.loads(ours.dumps(data)) == data  # and the format is Flask's
    assert ours.loads(ours.dumps(data)) == data


@pytest.mark.parametrize(
    ("subject", "text", "html"),
    [
        ("Your code", "code 123456\n", None),  # text only
        ("आपका कोड: 123456", "आपका कोड 123456 है\nदूसरी पंक्ति\n", "<p>कोड</p>\n"),
        (
            "A subject long enough to be folded over more than one line of the header " * 2,
            "x" * 1500 + "\n",
            "<p>" + "y" * 2000 + "</p>",
        ),  # lines over SMTP's 998 bytes
    ],
)
def test_mail_of_every_shape_reads_back(subject, text, html):
    message = Message(to="Ann <a@example.com>", subject=subject, text=text, html=html)
    data = mime_bytes(message, "Billing <no-reply@example.org>", "example.org")
    assert all(len(line) <= 998 for line in data.split(b"\r\n"))
    assert data.isascii()  # 7-bit parts: no server needs 8BITMIME for them
    assert b"\n" not in data.replace(b"\r\n", b"")
    mail = message_from_bytes(data, policy=policy.default)
    assert mail["Subject"] == subject and mail["To"] == "Ann <a@example.com>"
    assert mail["From"] == "Billing <no-reply@example.org>" and mail["Message-ID"]
    assert _lines(mail.get_body(("plain",))) == text.rstrip("\n")
    if html is None:
        assert not mail.is_multipart()
    else:
        assert mail.get_content_type() == "multipart/alternative"
        assert _lines(mail.get_body(("html",))) == html.rstrip("\n")


@pytest.mark.parametrize(
    ("to", "subject", "sender"),
    [
        ("a@example.com\nBcc: x@y.z", "Code", "a@b.c"),
        ("a@example.com", "Code\rBcc: x@y.z", "a@b.c"),
        ("a@example.com", "Code", "a@b.c\r\nBcc: x@y.z"),
    ],
)
def test_a_line_break_in_any_header_refuses_the_mail(to, subject, sender):
    with pytest.raises(DeliveryError) as refused:
        mime_bytes(Message(to=to, subject=subject, text="t"), sender, "b.c")
    assert not refused.value.temporary


def _lines(part) -> str:
    return part.get_content().replace("\r\n", "\n").rstrip("\n")


def test_page_strings_without_variables_are_worked_out_once_per_language(app):
    from otpauth.platform.catalog import _WITHOUT_VARIABLES, translations

    source = "{{ _('Sign in') }}|{{ _('100%% sure') }}"
    with app.test_request_context("/?lang=hi"):
        first = render_template_string(source)
        catalog = translations()
        assert _WITHOUT_VARIABLES[catalog][("Sign in", True)] == first.split("|")[0]
        assert render_template_string(source) == first  # from the memo, the same text
        assert first.split("|")[1] == "100% sure"  # formatted as Jinja formats it
    with app.test_request_context("/?lang=en"):
        assert render_template_string(source) == "Sign in|100% sure"


@pytest.mark.parametrize(
    "address",
    [
        "a@example.com",
        "first.last+tag@mail.example.co.in",
        "o'brien@example.com",
        "Ann <a@example.com>",
        "a@bücher.example",
        '"a b"@example.com',
        "a@example.com, b@example.com",
    ],
)
def test_recipient_address_is_what_flask_mail_writes(address):
    from flask_mail import sanitize_address

    from otpauth.delivery.smtp import recipient_address

    assert recipient_address(address) == sanitize_address(address)
