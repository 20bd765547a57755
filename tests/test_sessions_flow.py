"""Server-side sessions through the pages: logout, copied cookies, deactivation, outages."""

from __future__ import annotations

import pytest

from tests.round_trips import command_names, round_trips
from tests.security_support import EMAIL, csrf_token, login
from tests.session_support import plant_session


def cookie_of(client) -> str:  # noqa: ANN001
    return client.get_cookie("otpauth_session").value


def copy_of(app, cookie: str):  # noqa: ANN001
    """Another browser holding a copy of ``cookie`` (another IP and User-Agent too)."""
    thief = app.test_client()
    thief.environ_base.update({"REMOTE_ADDR": "198.51.100.7", "HTTP_USER_AGENT": "curl/8"})
    thief.set_cookie("otpauth_session", cookie)
    return thief


def sid_of(client) -> str | None:  # noqa: ANN001
    with client.session_transaction() as session:
        return session.get("_sid")


def test_a_copied_cookie_is_dead_after_logout(app, client, auth, customer, outbox):
    login(auth, outbox)
    copied = cookie_of(client)
    assert copy_of(app, copied).get("/dashboard/").status_code == 200  # the copy works...
    auth.logout()
    answer = copy_of(app, copied).get("/dashboard/")
    assert answer.status_code == 302 and answer.headers["Location"].startswith("/otp/request/")
    assert app.extensions["otpauth.sessions"].list("customer", customer) == []


def test_every_login_gets_a_new_sid_and_ends_the_old_one(app, client, auth, customer, outbox):
    login(auth, outbox)
    first, copied = sid_of(client), cookie_of(client)
    app.extensions["otpauth.redis"].delete(*app.extensions["otpauth.redis"].keys("otp:*:cool"))
    login(auth, outbox)
    second = sid_of(client)
    assert first and second and first != second
    assert copy_of(app, copied).get("/dashboard/").status_code == 302
    store = app.extensions["otpauth.sessions"]
    assert [r.sid for r in store.list("customer", customer)] == [second]


def test_the_cookie_carries_only_the_session_id(app, client, auth, customer, outbox):
    login(auth, outbox)
    with client.session_transaction() as session:
        assert set(session) <= {
            "_sid",
            "_user_id",
            "_fresh",
            "_id",
            "_permanent",
            "login_channel",
            "csrf_token",
        }
        assert session["_sid"].startswith(f"customer:{customer}:")


def test_a_forged_user_id_without_a_live_session_is_anonymous(app, client, customer):
    with client.session_transaction() as session:
        session.update(
            {"_user_id": str(customer), "_fresh": True, "_sid": "customer:1:" + "a" * 32}
        )
    assert client.get("/dashboard/").status_code == 302
    with client.session_transaction() as session:
        assert "_user_id" not in session and "_sid" not in session  # the cookie is emptied


def test_another_customers_session_id_does_not_match_the_user_id(app, client, customer):
    sid = plant_session(client, app, customer)
    with client.session_transaction() as session:
        session["_user_id"] = str(customer + 1)
    assert client.get("/dashboard/").status_code == 302
    assert app.extensions["otpauth.sessions"].get(sid) is not None


def test_deactivation_ends_every_session_at_once(app, client, auth, customer, outbox):
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Customer

    login(auth, outbox)
    other = app.test_client()
    plant_session(other, app, customer)
    with app.app_context():
        db.session.get(Customer, customer).active = False
        db.session.commit()
    assert client.get("/dashboard/").status_code == 302
    assert app.extensions["otpauth.sessions"].list("customer", customer) == []
    assert other.get("/dashboard/").status_code == 302


def test_a_staff_session_does_not_open_customer_pages(app, customer):
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Staff

    with app.app_context():
        db.session.query(Staff).delete()
        staff = Staff(email="ops@example.com", name="Ops", role="admin")
        db.session.add(staff)
        db.session.commit()
        staff_id = staff.id
    client = app.test_client()
    plant_session(client, app, staff_id, kind="staff")
    assert client.get("/dashboard/").status_code == 302
    with app.app_context():
        db.session.query(Staff).delete()
        db.session.commit()


def test_an_authenticated_page_costs_one_redis_command(app, client, auth, customer, outbox):
    login(auth, outbox)
    client.get("/dashboard/")  # the script is loaded
    with round_trips() as writes:
        for _ in range(3):
            assert client.get("/dashboard/").status_code == 200
    # One write (and its reply) per request, holding one command: no SCAN, no KEYS.
    assert [command_names(w) for w in writes] == [["EVALSHA"]] * 3


@pytest.mark.parametrize("settings", [{"REDIS_URL": "redis://127.0.0.1:1/0"}])
def test_redis_down_is_503_and_nobody_is_logged_in(app, client, customer, settings):
    token = csrf_token(client)
    with client.session_transaction() as session:
        session.update(
            {"_user_id": str(customer), "_fresh": True, "_sid": "customer:1:" + "a" * 32}
        )
    answer = client.get("/dashboard/")
    page = answer.get_data(as_text=True)
    assert answer.status_code == 503 and "temporarily unavailable" in page
    assert "Nobody has been signed in" not in page  # they were signed in: no false alarm
    assert "Sign out" not in page
    out = client.post("/otp/logout/", data={"csrf_token": token})
    assert out.status_code == 503
    assert sid_of(client) is None  # the browser forgets the session even so


def test_logout_is_audited_and_flashes(app, client, auth, customer, outbox):
    login(auth, outbox)
    answer = auth.logout()
    assert answer.headers["Location"] == "/otp/request/"
    assert "signed out" in client.get("/otp/request/").get_data(as_text=True)
    assert sid_of(client) is None and EMAIL


def test_cli_deactivate_ends_sessions_and_reactivate_lets_back_in(
    app, client, auth, customer, outbox, runner
):
    login(auth, outbox)
    result = runner.invoke(args=["customers", "deactivate", str(customer)])
    assert result.exit_code == 0 and "1 session(s) ended" in result.output
    assert app.extensions["otpauth.sessions"].list("customer", customer) == []
    assert client.get("/dashboard/").status_code == 302
    assert runner.invoke(args=["customers", "reactivate", str(customer)]).exit_code == 0
    from tests.security_support import events

    assert [e.event for e in events(app) if e.event.startswith("customer_")] == [
        "customer_deactivated",
        "customer_reactivated",
    ]
    assert runner.invoke(args=["customers", "deactivate", "999"]).exit_code != 0
