"""The customer pages (issue 12): help, settings shown, local times, one field, waits in words."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from tests.conftest import code_in, csrf_token

ENGLISH_RUN = re.compile(r"\b[A-Za-z][a-z]+(?:[ ,;:'-]+[A-Za-z][a-z]+){3,}")


def text_of(html: str) -> str:
    """The visible text of a page: no tags, no attribute values, no scripts."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_help_block_shows_site_name_phone_hours_and_advice(app, client, settings):
    page = client.get("/otp/request/").get_data(as_text=True)
    assert "Need help?" in page and "spam" in page and "phone number instead" in page
    assert "Call the Waste Billing office." in page  # no number set: no empty tel: link
    assert "tel:" not in page


@pytest.mark.parametrize(
    "settings",
    [
        {
            "SITE_NAME": "Nagar Nigam Kachra Bill",
            "SUPPORT_PHONE": "1800 123 4567",
            "SUPPORT_HOURS": "Mon-Sat 9:00-18:00",
        }
    ],
)
def test_settings_are_shown_where_customers_look_for_help(client, settings):
    page = client.get("/otp/request/").get_data(as_text=True)
    assert "<title>Sign in · Nagar Nigam Kachra Bill</title>" in page
    assert '<a href="tel:18001234567">1800 123 4567</a>' in page
    assert "Mon-Sat 9:00-18:00" in page and "Waste Billing" not in page


def test_every_page_has_lang_description_skip_link_and_no_duplicate_ids(
    client, auth, customer, outbox
):
    auth.request()
    pages = [client.get("/otp/request/"), client.get("/otp/verify/"), client.get("/nope")]
    auth.verify(code_in(outbox[-1]))
    pages += [client.get("/dashboard/"), client.get("/otp/request/")]
    for response in pages:
        html = response.get_data(as_text=True)
        assert '<html lang="en">' in html and '<meta name="description" content="' in html
        assert '<a class="skip-link" href="#main">' in html and 'id="main"' in html
        ids = re.findall(r'\sid="([^"]+)"', html)
        assert len(ids) == len(set(ids)), (response.request.path, ids)


def test_request_page_has_one_field_and_automatic_channel(client):
    html = client.get("/otp/request/").get_data(as_text=True)
    assert len(re.findall(r'<input[^>]+type="text"', html)) == 1
    assert re.search(
        r'<input checked id="channel-0" name="channel" type="radio" value="auto">', html
    )
    assert 'value="email"' in html and 'value="sms"' in html


@pytest.mark.parametrize(
    ("channel", "contact", "sent_by"),
    [
        ("auto", "98765 43210", "sms"),
        ("auto", "Test@Example.com", "email"),
        (None, "+91 98765-43210", "sms"),  # channel left out: automatic
        ("email", "9876543210", "sms"),  # a phone typed with e-mail chosen is understood
        ("sms", "test@example.com", "email"),  # and the other way round
    ],
)
def test_the_contact_decides_the_channel(client, customer, outbox, sms, channel, contact, sent_by):
    data = {"contact": contact, "csrf_token": csrf_token(client)}
    if channel:
        data["channel"] = channel
    response = client.post("/otp/request/", data=data)
    assert response.headers["Location"] == "/otp/verify/"
    assert len(sms if sent_by == "sms" else outbox) == 1
    assert len(outbox if sent_by == "sms" else sms) == 0


@pytest.mark.parametrize(
    ("channel", "contact", "message"),
    [
        ("auto", "12", "Enter a valid mobile number"),
        ("auto", "a@b", "Enter a valid e-mail address"),
        ("email", "nonsense", "Enter a valid e-mail address"),
        ("sms", "nonsense", "Enter a valid mobile number"),
    ],
)
def test_a_bad_contact_is_explained_and_tied_to_the_field(auth, channel, contact, message):
    response = auth.request(contact, channel=channel)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html
    assert 'aria-describedby="contact-error contact-hint"' in html
    assert 'aria-invalid="true"' in html and 'id="contact-error"' in html


def test_signed_in_customer_on_the_request_page_sees_it_and_can_sign_out(
    client, auth, customer, outbox
):
    auth.request()
    auth.verify(code_in(outbox[-1]))
    html = client.get("/otp/request/").get_data(as_text=True)
    assert "You are signed in as Asha Rao." in html
    assert 'href="/dashboard/"' in html and 'action="/otp/logout/"' in html
    assert 'name="contact"' not in html
    token = re.search(
        r'id="signout-csrf_token" name="csrf_token" type="hidden" value="([^"]+)"', html
    )
    response = client.post("/otp/logout/", data={"csrf_token": token.group(1)})
    assert response.headers["Location"] == "/otp/request/"


# --- Verify page -----------------------------------------------------------------------------


def test_wrong_code_shows_one_attempts_line_tied_to_the_field(client, auth, customer):
    auth.request()
    html = auth.verify("000000").get_data(as_text=True)
    assert html.count("attempts remaining") == 1
    assert "Invalid OTP. 4 attempts remaining." in html
    assert re.search(r'<p class="field-error" id="code-error" role="alert">Invalid OTP', html)
    assert 'aria-describedby="code-error code-hint"' in html
    assert 'class="notice error"' not in html  # not repeated at the top


def test_verify_page_csrf_fields_have_distinct_ids(client, auth, customer):
    auth.request()
    html = client.get("/otp/verify/").get_data(as_text=True)
    assert 'id="csrf_token"' in html and 'id="resend-csrf_token"' in html


@pytest.mark.parametrize("typed", ["123 456", "123-456", " 12 34 56 ", "123–456", "1 2 3 4 5 6"])
def test_pasted_code_with_spaces_or_dashes_is_accepted(client, auth, customer, outbox, typed):
    auth.request()
    code = code_in(outbox[-1])
    digits = iter(code)
    pasted = re.sub(r"\d", lambda _m: next(digits), typed)
    assert auth.verify(pasted).headers["Location"] == "/dashboard/"


def test_verify_page_carries_the_resend_countdown_and_help(client, auth, customer):
    auth.request()
    html = client.get("/otp/verify/").get_data(as_text=True)
    wait = int(re.search(r'id="resend" data-wait="(\d+)"', html).group(1))
    assert 55 <= wait <= 60
    assert f"You can ask for a new code in {wait} seconds." in html
    assert "Type or paste the code. Spaces and dashes are fine." in html
    assert "webotp.js" not in html  # WebOTP reads text messages only


def test_verify_page_for_a_text_message_loads_webotp(client, auth, customer):
    auth.request("9876543210", channel="sms")
    assert 'src="/static/webotp.js"' in client.get("/otp/verify/").get_data(as_text=True)


@pytest.mark.parametrize("settings", [{"OTP_RESEND_COOLDOWN_SECONDS": 0}])
def test_no_countdown_without_a_cooldown(client, auth, customer, settings):
    auth.request()
    html = client.get("/otp/verify/").get_data(as_text=True)
    assert 'data-wait="0"' in html and "You can ask for a new code in" not in text_of(html)


# --- Waits in words ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "1 second"),
        (42, "42 seconds"),
        (120, "120 seconds"),
        (121, "3 minutes"),
        (3600, "60 minutes"),
        (7200, "120 minutes"),
        (7201, "3 hours"),
        (86400, "24 hours"),
    ],
)
def test_wait_in_words(app, seconds, words):
    from otpauth.platform.i18n import wait_in_words

    with app.test_request_context("/"):
        assert wait_in_words(seconds) == words


def test_resend_during_cooldown_says_please_wait_n_seconds(client, auth, customer):
    auth.request()
    response = auth.resend()
    html = response.get_data(as_text=True)
    wait = int(response.headers["Retry-After"])
    assert response.status_code == 429
    assert f"Please wait {wait} seconds before asking for another code." in html


@pytest.mark.parametrize(
    "settings", [{"OTP_RESEND_COOLDOWN_SECONDS": 0, "OTP_MAX_FAILURES_PER_DAY": 1}]
)
def test_daily_cap_says_hours_never_1440_minutes(client, auth, customer, settings):
    auth.request()
    auth.verify("000000")
    response = auth.request()
    html = response.get_data(as_text=True)
    assert response.status_code == 429 and "Too many requests" in html
    assert re.search(r"Please try again in (2[34]) hours\.", html), text_of(html)
    assert "minutes" not in text_of(html)


@pytest.mark.parametrize(
    "settings", [{"RATELIMIT_ENABLED": True, "RATELIMIT_OTP_REQUEST": "1 per minute"}]
)
def test_per_ip_limit_page_says_the_wait_from_retry_after(client, auth, settings):
    auth.request("a@example.com")
    response = auth.request("b@example.com")
    wait = int(response.headers["Retry-After"])
    assert response.status_code == 429 and 1 <= wait <= 60
    unit = "second" if wait == 1 else "seconds"
    assert f"Please wait {wait} {unit} and try again." in response.get_data(as_text=True)


# --- Dashboard: local times, the previous sign-in ------------------------------------------


def _login(auth, outbox) -> None:  # noqa: ANN001
    auth.request()
    auth.verify(code_in(outbox[-1]))


@pytest.mark.parametrize("settings", [{"OTP_RESEND_COOLDOWN_SECONDS": 0}])
def test_previous_sign_in_is_the_one_before_this_one(app, client, auth, customer, outbox, settings):
    from otpauth.platform.extensions import db
    from otpauth.signin.models import AuthEvent

    _login(auth, outbox)
    first = client.get("/dashboard/").get_data(as_text=True)
    assert "none before this one" in first
    with app.app_context():  # the first login happened on 1 Jan 2026 at 06:30 UTC
        event = db.session.scalars(db.select(AuthEvent).where(AuthEvent.event == "login")).one()
        event.at = datetime(2026, 1, 1, 6, 30, tzinfo=UTC)
        db.session.commit()
    auth.logout()
    _login(auth, outbox)
    page = client.get("/dashboard/").get_data(as_text=True)
    previous = re.search(r'<dd class="previous-sign-in"><time [^>]+>([^<]+)</time>', page)
    assert previous and previous.group(1) == "1 Jan 2026, 12:00 PM"  # Asia/Kolkata, +05:30
    assert "When (IST)" in page


@pytest.mark.parametrize(
    "settings", [{"OTP_RESEND_COOLDOWN_SECONDS": 0, "DISPLAY_TIMEZONE": "Europe/London"}]
)
def test_times_follow_display_timezone(app, client, auth, customer, outbox, settings):
    from otpauth.platform.i18n import local_time

    with app.test_request_context("/"):
        assert local_time(datetime(2026, 7, 1, 6, 30)) == "1 Jul 2026, 7:30 AM"
        assert local_time(datetime(2026, 1, 1, 6, 30, tzinfo=UTC)) == "1 Jan 2026, 6:30 AM"
    _login(auth, outbox)
    assert "When (GMT)" in client.get("/dashboard/").get_data(as_text=True)


# --- Hindi pages have no English left over -------------------------------------------------

# Names that stay as they are in Hindi text (app names); short ones never match anyway.
ALLOWED_RUNS = {"Google Authenticator, Microsoft Authenticator, Aegis"}


def test_hindi_pages_leave_no_english_sentence(client, auth, customer, outbox):
    client.get("/otp/request/?lang=hi")
    pages = {"request": client.get("/otp/request/"), "404": client.get("/nope")}
    auth.request()
    pages["verify"] = client.get("/otp/verify/")
    pages["wrong"] = auth.verify("000000")
    pages["cooldown"] = auth.resend()
    auth.verify(code_in(outbox[-1]))
    pages["dashboard"] = client.get("/dashboard/")
    pages["signed-in"] = client.get("/otp/request/")
    pages["sessions"] = client.get("/account/sessions/")
    pages["authenticator"] = client.get("/account/authenticator/")
    for name, response in pages.items():
        html = response.get_data(as_text=True)
        assert '<html lang="hi">' in html, name
        runs = [r for r in ENGLISH_RUN.findall(text_of(html)) if r not in ALLOWED_RUNS]
        assert not runs, (name, runs)


def test_pages_say_their_language_and_what_they_vary_on(client):
    response = client.get("/otp/request/?lang=hi")
    assert response.headers["Content-Language"] == "hi"
    assert {"Accept-Language", "Cookie"} <= set(response.vary)


def test_translated_text_still_escapes_what_it_carries(app, client, auth, customer, outbox):
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Customer

    with app.app_context():
        db.session.get(Customer, customer).name = "<script>alert(1)</script>"
        db.session.commit()
    client.get("/otp/request/?lang=hi")
    auth.request()
    auth.verify(code_in(outbox[-1]))
    for path in ("/dashboard/", "/otp/request/"):
        html = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_resend_countdown_is_the_same_for_unknown_contacts(client, auth, customer):
    """The countdown comes from the store, which runs the cooldown for everyone."""
    waits = []
    for contact in ("test@example.com", "stranger@example.com"):
        auth.request(contact)
        html = client.get("/otp/verify/").get_data(as_text=True)
        waits.append(int(re.search(r'data-wait="(\d+)"', html).group(1)))
    assert all(55 <= w <= 60 for w in waits)
