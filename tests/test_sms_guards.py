"""SMS pumping defences: allowed regions and mobile numbers only, a global hourly budget and
one per number prefix; checked before anything is stored or sent, the same for everyone."""

from __future__ import annotations

import threading

import pytest

from otpauth.delivery.gates import Gates, hour_now
from tests.conftest import Auth, drain
from tests.security_support import add_customer

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


@pytest.mark.parametrize("settings", [{"SMS_MAX_PER_PREFIX_PER_HOUR": 2}])
def test_prefix_budget_counts_resends_and_answers_429(app, customer, redis_client, settings):
    auth = fresh(app)
    auth.request("9876543210", "sms")
    redis_client.delete(*redis_client.keys("otp:*:cool"))  # the cooldown has passed
    assert auth.resend().headers["Location"] == "/otp/verify/"  # the prefix's second SMS
    for number in ("9876540000", "9876549999"):  # same prefix +91987654, customer or not
        response = fresh(app).request(number, "sms")
        assert response.status_code == 429
        assert "Too many requests" in response.get_data(as_text=True)
    assert fresh(app).request("9876550000", "sms").status_code == 302  # another prefix
    hour = hour_now()
    assert int(redis_client.get(f"sms:{{p:+91987654}}:{hour}")) == 2
    assert int(redis_client.get(f"sms:{{budget}}:{hour}")) == 3
    for key in redis_client.keys("sms:*"):
        assert 0 < redis_client.ttl(key) <= 3660


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
def test_prefix_budget_never_exceeded_by_20_parallel_requests(app, redis_client, settings):
    def request(i: int) -> int:
        return fresh(app).request(f"98765{i:05d}", "sms").status_code  # one prefix

    answers = parallel(20, request)
    assert sorted(answers) == [302] * 5 + [429] * 15
    hour = hour_now()
    assert int(redis_client.get(f"sms:{{p:+91987650}}:{hour}")) == 5
    assert int(redis_client.get(f"sms:{{budget}}:{hour}")) == 5  # refusals handed back


@pytest.mark.parametrize("backend", ["servers"], indirect=True)
def test_gate_scripts_are_atomic_on_real_redis(redis_client):
    gates = Gates(redis_client, failures=5, open_seconds=60)
    tickets = parallel(20, lambda i: gates.admit("sms", "+9198", per_hour=9, per_prefix=4))
    admitted = [t for t in tickets if t.admission.value == "ok"]
    assert len(admitted) == 4
    assert gates.sms_this_hour() == 4
