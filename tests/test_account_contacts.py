"""``/account/contacts/``: a contact changes only after a recent sign-in and the right code
sent to the new contact; notices go to the old and the other contact; other sessions end;
a contact that is someone else's gets the same answers and changes nothing."""

from __future__ import annotations

import pytest

from tests.conftest import Auth, code_in
from tests.passkey_support import SETTINGS, page_csrf, sign_in_by_code


@pytest.fixture
def settings() -> dict:
    return dict(SETTINGS)


@pytest.fixture
def signed_in(client, auth, outbox, sms, customer):
    sign_in_by_code(auth, outbox)
    outbox.clear()
    sms.clear()
    return customer


def _customer(app, customer_id: int):
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Customer

    with app.app_context():
        return db.session.get(Customer, customer_id)


def _ask(client, contact: str):
    token = page_csrf(client, "/account/contacts/")
    return client.post("/account/contacts/", data={"csrf_token": token, "contact": contact})


def _confirm(client, code: str):
    token = page_csrf(client, "/account/contacts/verify")
    return client.post("/account/contacts/verify", data={"csrf_token": token, "code": code})


def test_a_new_email_is_saved_after_its_code(app, client, signed_in, outbox, sms):
    other = app.test_client()  # a second browser of the same customer
    sign_in_by_code(Auth(other), outbox)
    outbox.clear()
    response = _ask(client, "New.Address@Example.com")
    assert response.status_code == 302 and response.location.endswith("/account/contacts/verify")
    [sent] = list(outbox)
    assert sent.to == "new.address@example.com"
    assert _confirm(client, "000000" if code_in(sent) != "000000" else "111111").status_code == 400
    assert _customer(app, signed_in).email == "test@example.com"
    assert _confirm(client, code_in(sent)).status_code == 302
    changed = _customer(app, signed_in)
    assert changed.email == "new.address@example.com" and changed.email_verified_at
    notices = [m for m in outbox if m.to == "test@example.com"]
    assert notices and "changed" in notices[0].text
    assert len(sms) == 1  # the other contact is told too
    assert other.get("/dashboard/").status_code == 302  # other sessions ended
    assert client.get("/dashboard/").status_code == 200  # this one goes on


def test_someone_elses_contact_gets_the_same_answers_and_changes_nothing(
    app, client, signed_in, outbox
):
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Customer

    with app.app_context():
        db.session.add(Customer(name="B", email="b@example.com", customer_type="Household"))
        db.session.commit()
    taken = _ask(client, "b@example.com")
    assert len(outbox) == 0  # nothing goes to someone else's contact
    assert _confirm(client, "123456").status_code == 400  # no code can match
    assert _customer(app, signed_in).email == "test@example.com"
    free = _ask(client, "free@example.com")
    assert (taken.status_code, taken.location) == (free.status_code, free.location)
    assert [m.to for m in outbox] == ["free@example.com"]


def test_without_a_recent_sign_in_it_asks_for_one_and_sends_nothing(app, client, signed_in, outbox):
    app.config["REAUTH_SECONDS"] = 0
    page = client.get("/account/contacts/")
    assert "Sign in again" in page.get_data(as_text=True)
    token = page_csrf(client, "/dashboard/")
    response = client.post(
        "/account/contacts/", data={"csrf_token": token, "contact": "new@example.com"}
    )
    assert response.status_code == 403 and len(outbox) == 0
    assert _customer(app, signed_in).email == "test@example.com"


@pytest.mark.parametrize(
    ("contact", "says"),
    [("test@example.com", "already on file"), ("not a contact", "valid e-mail address")],
)
def test_bad_or_unchanged_contacts_are_refused(client, signed_in, outbox, contact, says):
    response = _ask(client, contact)
    assert response.status_code == 400 and says in response.get_data(as_text=True)
    assert len(outbox) == 0
