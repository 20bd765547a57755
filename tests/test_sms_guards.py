"""SMS pumping defences: allowed regions and mobile numbers only, a global hourly budget and
one per number prefix; checked before anything is stored or sent, the same for everyone.

A prefix's budget counts what is sent (to customers); what it is asked for is counted too,
for everyone alike, and beyond the budget its requests need a proof of work (issue 19)."""

from __future__ import annotations

import json
import threading

import pytest

from otpauth.delivery.gates import Gates, hour_now
from otpauth.signin.challenge import challenges
from tests.conftest import Auth, csrf_token, drain
from tests.security_support import add_customer, events, notice
from tests.test_challenge import CHEAP, solve

UNROUTABLE = "We can&#39;t send text messages to this number"


def fresh(app) -> Auth:
    return Auth(app.test_client())


def assert_unroutable(app, number: str) -> None:
    response = fresh(app).request(number, "sms")
    assert response.status_code == 400, number
    assert UNROUTABLE in response.get_data(as_text=True)


@pytest.mark.parametrize(
    "number",
    [
        "011 2345 6789",  # India, fixed line
        "1800 123 4567",  # India, toll free
        "+44 7400 123456",  # United Kingdom, mobile: not an allowed region
        "+1 415 555 0100",  # United States
        "+977 984 1234567",  # Nepal, mobile
    ],
)
def test_default_allows_mobiles_of_the_default_region_only(app, sms, redis_client, number):
    assert_unroutable(app, number)
    assert sms == []
    assert redis_client.keys("*") == []  # nothing stored, nothing counted


def test_customer_on_a_landline_is_refused_like_a_stranger(app, sms, redis_client):
    add_customer(app, email="shop@example.com", phone="+911123456789")
    assert_unroutable(app, "+911123456789")
    assert_unroutable(app, "+911123456780")
    assert sms == [] and redis_client.keys("*") == []


@pytest.mark.parametrize("settings", [{"SMS_ALLOWED_REGIONS": ("IN", "GB", "US")}])
def test_listed_regions_are_served_mobiles_only(app, sms, settings):
    for number in ("9876543210", "+44 7400 123456", "+1 415 555 0100"):  # US: fixed or mobile
        assert fresh(app).request(number, "sms").status_code == 302, number
    for number in ("+44 20 7946 0000", "+977 984 1234567", "+1 800 555 0100"):
        assert_unroutable(app, number)


@pytest.mark.parametrize("settings", [{"SMS_ALLOWED_REGIONS": ()}])
def test_any_region_still_means_mobiles_only(app, settings):
    for number in ("+61 412 345 678", "+49 1512 3456789"):
        assert fresh(app).request(number, "sms").status_code == 302, number
    assert_unroutable(app, "+44 20 7946 0000")


@pytest.mark.parametrize("settings", [{"SMS_MAX_PER_HOUR": 3}])
def test_global_budget_spent_makes_sms_unavailable_to_everyone(app, customer, sms, settings):
    for number in ("9876543210", "9123456789", "9988776655"):  # three prefixes
        assert fresh(app).request(number, "sms").status_code == 302
    for number in ("9876543210", "9000012345"):  # the customer, then a stranger
        response = fresh(app).request(number, "sms")
        assert response.status_code == 503
        assert "Text messages are unavailable right now" in response.get_data(as_text=True)
    page = app.test_client().get("/otp/request/").get_data(as_text=True)
    assert "Text messages are unavailable right now" in page and "by e-mail instead" in page
    assert fresh(app).request("test@example.com").status_code == 302  # e-mail goes on
    assert len(sms) == 1  # only the customer's code went out


def ask(app, number: str, solution: str | None = None):  # noqa: ANN001, ANN201
    """An SMS request from a fresh browser, with a solved challenge or without."""
    client = app.test_client()
    data = {"channel": "sms", "contact": number, "csrf_token": csrf_token(client)}
    if solution is not None:
        data["altcha"] = solution
    answer = client.post("/otp/request/", data=data)
    drain(app)
    return answer


def proof(app) -> str:  # noqa: ANN001
    """A solved challenge, as the widget would send it."""
    with app.test_request_context():
        return solve(json.loads(challenges().issue()))


def asks_for_proof(answer) -> bool:  # noqa: ANN001
    page = answer.get_data(as_text=True)
    return answer.status_code == 400 and "Please complete the check" in page and "<altcha" in page


PREFIX_ATTACK = {"SMS_MAX_PER_PREFIX_PER_HOUR": 20, **CHEAP}


@pytest.mark.parametrize("settings", [PREFIX_ATTACK])
def test_strangers_in_a_prefix_no_longer_lock_its_customer_out(app, customer, sms, redis_client):
    # Issue 19, finding 5: 21 requests for numbers that are nobody's, in one prefix.
    answers = [ask(app, f"+9198765401{i:02d}") for i in range(21)]
    assert [a.status_code for a in answers[:20]] == [302] * 20
    assert asks_for_proof(answers[20])  # under attack: a proof of work, not a 429
    hour = hour_now()
    assert redis_client.get(f"sms:{{p:+91987654}}:{hour}") is None  # nothing sent, nothing spent
    without = ask(app, "+919876543210")  # the customer, same prefix: asked like a stranger
    stranger = ask(app, "+919876540999")
    assert asks_for_proof(without) and asks_for_proof(stranger)
    assert notice(without) == notice(stranger)
    assert ask(app, "+919876543210", proof(app)).headers["Location"] == "/otp/verify/"
    assert [m.to for m in sms] == ["+919876543210"]  # the customer's code went out
    assert int(redis_client.get(f"sms:{{p:+91987654}}:{hour}")) == 1
    assert int(redis_client.get(f"sms:{{p:+91987654}}:{hour}:asked")) == 24
    assert ask(app, "+919876550000").status_code == 302  # another prefix asks for nothing
    for key in redis_client.keys("sms:*"):
        assert 0 < redis_client.ttl(key) <= 3660


@pytest.mark.parametrize("settings", [{"SMS_MAX_PER_PREFIX_PER_HOUR": 2, **CHEAP}])
def test_prefix_budget_caps_sends_and_counts_resends(app, customer, sms, redis_client, settings):
    other = add_customer(app, email="b@example.com", phone="+919876540000")
    auth = fresh(app)
    auth.request("9876543210", "sms")
    redis_client.delete(*redis_client.keys("otp:*:cool"))  # the cooldown has passed
    assert auth.resend().headers["Location"] == "/otp/verify/"  # the prefix's second SMS
    assert len(sms) == 2
    answer = ask(app, "+919876540000", proof(app))  # the third ask needs a proof ...
    assert answer.headers["Location"] == "/otp/verify/"  # ... and answers as usual,
    assert len(sms) == 2  # but the budget of sends is spent: nothing goes out
    skipped = events(app, event="otp_send_skipped")
    assert [(e.customer_id, e.reason) for e in skipped] == [(other, "prefix_budget")]
    assert int(redis_client.get(f"sms:{{p:+91987654}}:{hour_now()}")) == 2
    assert int(redis_client.get(f"sms:{{budget}}:{hour_now()}")) == 3


def test_a_refused_send_is_not_counted(app, redis_client):
    fresh(app).request("9876543210", "sms")
    assert fresh(app).request("9876543210", "sms").status_code == 429  # the cooldown
    assert int(redis_client.get(f"sms:{{budget}}:{hour_now()}")) == 1


def parallel(count: int, work) -> list:  # noqa: ANN001
    results: list = [None] * count
    start = threading.Barrier(count)

    def run(i: int) -> None:
        start.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return results


@pytest.mark.parametrize("backend", ["servers"], indirect=True)
@pytest.mark.parametrize("settings", [{"SMS_MAX_PER_HOUR": 7}])
def test_global_budget_never_exceeded_by_20_parallel_requests(app, redis_client, sms, settings):
    def request(i: int) -> int:
        return fresh(app).request(f"9{i:02d}1234567", "sms").status_code  # 20 prefixes

    answers = parallel(20, request)
    drain(app)
    assert sorted(answers) == [302] * 7 + [503] * 13
    assert int(redis_client.get(f"sms:{{budget}}:{hour_now()}")) == 7


@pytest.mark.parametrize("backend", ["servers"], indirect=True)
@pytest.mark.parametrize("settings", [{"SMS_MAX_PER_PREFIX_PER_HOUR": 5}])
def test_prefix_asks_for_proof_after_exactly_its_budget_of_20_parallel_requests(
    app, redis_client, settings
):
    def request(i: int):  # noqa: ANN202
        return fresh(app).request(f"98765{i:05d}", "sms")  # one prefix

    answers = parallel(20, request)
    assert sorted(a.status_code for a in answers) == [302] * 5 + [400] * 15
    assert all(asks_for_proof(a) for a in answers if a.status_code == 400)
    hour = hour_now()
    assert int(redis_client.get(f"sms:{{p:+91987650}}:{hour}:asked")) == 20
    assert int(redis_client.get(f"sms:{{budget}}:{hour}")) == 5  # the refused are not admitted


@pytest.mark.parametrize("backend", ["servers"], indirect=True)
def test_gate_scripts_are_atomic_on_real_redis(redis_client):
    gates = Gates(redis_client, failures=5, open_seconds=60)
    tickets = parallel(20, lambda i: gates.admit("sms", per_hour=9))
    assert len([t for t in tickets if t.admission.value == "ok"]) == 9
    assert gates.sms_this_hour() == 9
    assert (
        sorted(parallel(20, lambda i: gates.reserve_send("+9198", 4))) == [False] * 16 + [True] * 4
    )
    assert sorted(parallel(20, lambda i: gates.ask("+9199", 4))) == [False] * 4 + [True] * 16
    hour = hour_now()
    assert int(redis_client.get(f"sms:{{p:+9198}}:{hour}")) == 4
    assert int(redis_client.get(f"sms:{{p:+9199}}:{hour}:asked")) == 20
