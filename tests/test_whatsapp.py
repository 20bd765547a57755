"""WhatsApp first, SMS fallback (inline mode): every path through the Twilio stand-in.

WhatsApp delivered (no SMS); reported failed -> a fresh code by SMS at once; no report
within WHATSAPP_FALLBACK_SECONDS -> SMS; SMS failing too -> audited, the same answer as a
stranger's; the customer's "Send it by text message instead"; a stranger's request falls
back on the same clock. Runs on the embedded servers and the real ones.
"""

from __future__ import annotations

import json
import re
import time

import pytest

from otpauth.signin.otp import otp_store
from tests.conftest import csrf_token, drain
from tests.security_support import events, tag_of
from tests.whatsapp_support import (
    CONTENT_SID,
    HOST,
    NOT_ON_WHATSAPP,
    PHONE,
    SETTINGS,
    WHATSAPP_FROM,
    post_report,
    report,
    sms_sent,
    wait_for,
    whatsapp_sent,
)

pytest_plugins = ("tests.delivery_fixtures", "tests.whatsapp_fixtures")
STRANGER = "9876500001"


@pytest.fixture
def extra() -> dict:
    """More settings for one test (parametrize it)."""
    return {}


@pytest.fixture
def settings(extra):
    return {**SETTINGS, **extra}


FELL_BACK = "If the WhatsApp message did not arrive, a new code is on its way by text message."


def code_of_sms(posted) -> str:  # noqa: ANN001
    return re.match(r"(\d{6}) is your", posted.form["Body"]).group(1)


def whatsapp_code(posted) -> str:  # noqa: ANN001
    return json.loads(posted.form["ContentVariables"])["1"]


def report_on(client, posted, status: str, error: str | None = None):  # noqa: ANN001, ANN201
    """Twilio's signed report on the WhatsApp message ``posted``, to its callback URL."""
    form = report(f"SM{hash(posted.form['ContentVariables']) & 0xFFFF:032x}", status, PHONE, error)
    return post_report(client, posted.form["StatusCallback"], form)


def test_auto_goes_by_whatsapp_with_the_approved_template(app, auth, customer, senders):
    assert auth.request("98765 43210", "auto").headers["Location"] == "/otp/verify/"
    [posted] = whatsapp_sent(senders)
    assert posted.form["To"] == f"whatsapp:{PHONE}"
    assert posted.form["From"] == f"whatsapp:{WHATSAPP_FROM}"
    assert posted.form["ContentSid"] == CONTENT_SID
    assert "Body" not in posted.form
    code = whatsapp_code(posted)
    assert re.fullmatch(r"\d{6}", code)
    [queued] = events(app, event="otp_queued")
    assert posted.form["StatusCallback"] == (
        f"https://{HOST}/hooks/twilio/status?d={queued.delivery_id}"
    )
    [sent] = events(app, event="otp_sent")
    assert (sent.channel, sent.units, sent.delivery_id) == ("whatsapp", 1, queued.delivery_id)
    page = auth.client.get("/otp/verify/").get_data(as_text=True)
    assert "we have sent a 6-digit code to it by WhatsApp" in page
    assert "Send it by text message instead" in page and FELL_BACK not in page
    assert auth.verify(code).headers["Location"] == "/dashboard/"


def test_delivered_whatsapp_does_not_fall_back(app, auth, customer, senders):
    auth.request("9876543210", "whatsapp")
    [posted] = whatsapp_sent(senders)
    assert report_on(auth.client, posted, "delivered").status_code == 204
    time.sleep(1.3)  # past WHATSAPP_FALLBACK_SECONDS: the timer finds it delivered
    drain(app)
    assert sms_sent(senders) == []
    assert [e.event for e in events(app, channel="whatsapp")][-1] == "otp_delivered"
    assert events(app, event="otp_fallback") == []
    assert auth.verify(whatsapp_code(posted)).headers["Location"] == "/dashboard/"


def test_failed_whatsapp_brings_a_fresh_code_by_sms(app, auth, customer, senders):
    auth.request("9876543210", "whatsapp")
    [posted] = whatsapp_sent(senders)
    old = whatsapp_code(posted)
    wrong = "000000" if old != "000000" else "111111"
    assert "4 attempts remaining" in auth.verify(wrong).get_data(as_text=True)
    assert report_on(auth.client, posted, "failed", NOT_ON_WHATSAPP).status_code == 204
    drain(app)
    [sms] = sms_sent(senders)
    assert sms.form["To"] == PHONE
    fresh = code_of_sms(sms)
    [fallback] = events(app, event="otp_fallback")
    assert (fallback.channel, fallback.reason, fallback.customer_id) == (
        "whatsapp",
        "failed",
        customer,
    )
    [undelivered] = events(app, event="otp_undelivered")
    assert (undelivered.channel, undelivered.reason) == ("whatsapp", NOT_ON_WHATSAPP)
    sent = events(app, event="otp_sent", channel="sms")
    assert [(e.delivery_id, e.units) for e in sent] == [(fallback.delivery_id, 1)]
    if fresh != old:  # the WhatsApp code died; attempts used stay used
        assert "3 attempts remaining" in auth.verify(old).get_data(as_text=True)
    assert auth.verify(fresh).headers["Location"] == "/dashboard/"


def test_no_report_in_the_window_falls_back_by_itself(app, auth, customer, senders):
    auth.request("9876543210", "whatsapp")
    [posted] = whatsapp_sent(senders)
    assert wait_for(app, lambda: sms_sent(senders)), "no SMS after the window"
    [fallback] = events(app, event="otp_fallback")
    assert fallback.reason == "timeout"
    page = auth.client.get("/otp/verify/").get_data(as_text=True)
    assert FELL_BACK in page
    assert auth.verify(code_of_sms(sms_sent(senders)[0])).headers["Location"] == "/dashboard/"


def verify_page(auth, contact: str) -> tuple[int, str]:  # noqa: ANN001
    """Ask for a code for ``contact``, wait out the window, and read the verify page."""
    assert auth.request(contact, "whatsapp").headers["Location"] == "/otp/verify/"
    time.sleep(1.3)
    drain(auth.client.application)
    response = auth.client.get("/otp/verify/")
    page = re.sub(r"\+91\*+\d{4}", "NUMBER", response.get_data(as_text=True))
    page = re.sub(r'(value|data-seconds)="[^"]*"', r'\1=""', page)
    page = re.sub(r">\d:\d\d<", "><", page)
    return response.status_code, page


def test_sms_failing_too_is_audited_and_answers_like_a_stranger(app, client, customer, senders):
    from tests.conftest import Auth

    stranger_page = verify_page(Auth(app.test_client()), STRANGER)
    auth = Auth(client)
    auth.request("9876543210", "whatsapp")
    [posted] = whatsapp_sent(senders)
    senders.errors = [(400, 21614, "not a mobile number")]  # for the fallback SMS
    report_on(client, posted, "undelivered", "63016")
    drain(app)
    [failed] = events(app, event="otp_send_failed")
    assert (failed.channel, failed.reason, failed.customer_id) == ("sms", "permanent", customer)
    time.sleep(1.3)
    drain(app)
    response = client.get("/otp/verify/")
    page = re.sub(r"\+91\*+\d{4}", "NUMBER", response.get_data(as_text=True))
    page = re.sub(r'(value|data-seconds)="[^"]*"', r'\1=""', page)
    page = re.sub(r">\d:\d\d<", "><", page)
    assert (response.status_code, page) == stranger_page
    assert FELL_BACK in page


def test_a_stranger_falls_back_on_the_same_clock(app, auth, senders):
    status, page = verify_page(auth, STRANGER)
    assert status == 200 and FELL_BACK in page
    assert whatsapp_sent(senders) == [] and sms_sent(senders) == []
    [fallback] = events(app, event="otp_fallback")
    assert (fallback.reason, fallback.customer_id) == ("timeout", None)


def test_send_it_by_text_message_instead(app, auth, customer, senders):
    auth.request("9876543210", "whatsapp")
    [posted] = whatsapp_sent(senders)
    token = csrf_token(auth.client, "/otp/verify/")
    response = auth.client.post("/otp/fallback/", data={"csrf_token": token})
    assert response.headers["Location"] == "/otp/verify/"
    drain(app)
    [sms] = sms_sent(senders)
    page = auth.client.get("/otp/verify/").get_data(as_text=True)
    assert "We have sent a new code by text message" in page
    assert "Send it by text message instead" not in page and FELL_BACK in page
    auth.client.post("/otp/fallback/", data={"csrf_token": token})  # once per request
    drain(app)
    assert len(sms_sent(senders)) == 1
    assert [e.reason for e in events(app, event="otp_fallback")] == ["asked"]
    old, fresh = whatsapp_code(posted), code_of_sms(sms)
    if old != fresh:
        assert auth.verify(old).status_code == 400
    assert auth.verify(fresh).headers["Location"] == "/dashboard/"


def test_a_stranger_asking_gets_the_same_answer(app, auth, senders):
    auth.request(STRANGER, "whatsapp")
    token = csrf_token(auth.client, "/otp/verify/")
    response = auth.client.post("/otp/fallback/", data={"csrf_token": token})
    assert response.headers["Location"] == "/otp/verify/"
    page = auth.client.get("/otp/verify/").get_data(as_text=True)
    assert "We have sent a new code by text message" in page
    drain(app)
    assert sms_sent(senders) == []


@pytest.mark.parametrize("extra", [{"WHATSAPP_MAX_PER_HOUR": 1, "OTP_RESEND_COOLDOWN_SECONDS": 0}])
def test_whatsapp_has_its_own_hourly_budget(app, auth, customer, senders, redis_client):
    from otpauth.delivery.gate_state import hour_now

    auth.request("9876543210", "auto")
    assert len(whatsapp_sent(senders)) == 1
    # Spent: "auto" goes by SMS now, the other channel of DELIVERY_PHONE_ORDER.
    assert auth.request("9876543210", "auto").headers["Location"] == "/otp/verify/"
    assert len(sms_sent(senders)) == 1 and len(whatsapp_sent(senders)) == 1
    refused = auth.request("9876543210", "whatsapp")
    assert refused.status_code == 503
    assert "WhatsApp is unavailable right now" in refused.get_data(as_text=True)
    hour = hour_now()
    assert int(redis_client.get(f"whatsapp:{{budget}}:{hour}")) == 1
    assert int(redis_client.get(f"sms:{{budget}}:{hour}")) == 1
    assert redis_client.ttl(f"whatsapp:{{budget}}:{hour}") > 0


@pytest.mark.parametrize("extra", [{"WHATSAPP_BACKEND": "off", "DELIVERY_PHONE_ORDER": ("sms",)}])
def test_whatsapp_switched_off_is_not_offered(app, client, customer):
    assert 'value="whatsapp"' not in client.get("/otp/request/").get_data(as_text=True)
    token = csrf_token(client)
    data = {"channel": "whatsapp", "contact": "9876543210", "csrf_token": token}
    assert client.post("/otp/request/", data=data).status_code == 400


def test_whatsapp_offered_is_a_choice(client):
    assert 'value="whatsapp"' in client.get("/otp/request/").get_data(as_text=True)


def test_unlock_clears_the_whatsapp_request_too(app, runner, auth, customer, senders):
    auth.request("9876543210", "whatsapp")
    result = runner.invoke(args=["customers", "unlock", "--phone", "9876543210"])
    assert "(whatsapp)" in result.output and "(sms)" in result.output
    with app.app_context():
        assert otp_store().live_code_id(tag_of(app, "whatsapp", PHONE)) is None


@pytest.mark.parametrize("backend", ["servers"], indirect=True)
def test_concurrent_fallbacks_move_a_request_once(app, auth, customer, senders):
    """Reports, the timer and the button racing: one Lua call decides, one SMS goes out."""
    from concurrent.futures import ThreadPoolExecutor

    from otpauth.delivery.fallback import Moved, fall_back

    auth.request("9876543210", "whatsapp")
    tag = tag_of(app, "whatsapp", PHONE)

    def race(i: int) -> Moved:
        with app.app_context():
            return fall_back("whatsapp", tag, "asked" if i % 2 else "failed")

    with ThreadPoolExecutor(8) as pool:
        moved = list(pool.map(race, range(24)))
    drain(app)
    assert moved.count(Moved.FELL_BACK) == 1 and moved.count(Moved.NOTHING) == 23
    assert len(sms_sent(senders)) == 1
    assert len(events(app, event="otp_fallback")) == 1


def test_an_order_naming_whatsapp_needs_it_switched_on(tmp_path):
    import config
    from config import ConfigError

    settings = config.load({"DELIVERY_PHONE_ORDER": "whatsapp,sms"})
    with pytest.raises(ConfigError, match="WHATSAPP_BACKEND is off"):
        config.finalize(settings, str(tmp_path))
    for bad in ("fax", "sms,sms", "email"):
        with pytest.raises(ConfigError, match="DELIVERY_PHONE_ORDER"):
            config.load({"DELIVERY_PHONE_ORDER": bad})
