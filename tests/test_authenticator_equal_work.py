"""The authenticator channel does the same work for customers and strangers (issue 19, 1).

A wrong app code once ran the authenticator's SELECT and its decryption only when the
pending request belonged to a customer: 12.0 ms against 9.2 ms, told apart 79 % of the
time. Here the work itself is counted (never timed): SQL statements, Redis commands,
decryptions, TOTP codes and HMACs, for request and verify, for a customer with an app,
a customer without one and a stranger.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import pytest

from otpauth.platform.extensions import db
from otpauth.signin.models import Authenticator, RecoveryCode
from otpauth.signin.otp import codes, totp
from tests.conftest import Auth
from tests.round_trips import command_names, round_trips
from tests.security_support import add_customer
from tests.test_login_cost import statements
from tests.totp_support import enrol, hotp, no_authenticators, step_now  # noqa: F401

WITH_APP, WITHOUT_APP, STRANGER = "test@example.com", "plain@example.com", "nobody@example.com"
# What differs by design: the CSRF token and the masked contact the page names.
VARYING_RE = re.compile(r'name="csrf_token" type="hidden" value="[^"]+"|<strong>[^<]*</strong>')


@contextmanager
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter]:
    """Calls of the costly steps of a check: decryptions, TOTP codes, code HMACs."""
    calls: Counter = Counter()

    def spy(name: str, original):  # noqa: ANN001, ANN202
        def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            calls[name] += 1
            return original(*args, **kwargs)

        return wrapper

    with monkeypatch.context() as patch:
        patch.setattr(totp.SecretBox, "decrypt", spy("decrypt", totp.SecretBox.decrypt))
        patch.setattr(totp, "code_at", spy("totp", totp.code_at))
        patch.setattr(codes, "hash_code", spy("hmac", codes.hash_code))
        yield calls


def profile(app, monkeypatch, step) -> tuple:  # noqa: ANN001
    """What ``step`` costs: SQL statements, Redis commands, counted calls; and its answer."""
    with ExitStack() as stack:
        sql = stack.enter_context(statements(app))
        writes = stack.enter_context(round_trips())
        calls = stack.enter_context(counted(monkeypatch))
        response = step()
    page = VARYING_RE.sub("", response.get_data(as_text=True))
    redis = [command_names(w) for w in writes]
    return (response.status_code, page), (sql, redis, dict(calls))


@pytest.fixture
def contacts(app, customer) -> Iterator[list[str]]:  # noqa: ANN001
    secret, _ = enrol(app, customer)
    add_customer(app, email=WITHOUT_APP)
    app.config["TEST_SECRET"] = secret
    yield [WITH_APP, WITHOUT_APP, STRANGER]
    with app.app_context():  # the database outlives the test: leave no app behind
        db.session.query(RecoveryCode).delete()
        db.session.query(Authenticator).delete()
        db.session.commit()


def wrong_code(secret: str) -> str:
    """A code that is none of the codes accepted around now."""
    accepted = {hotp(secret, step_now(offset)) for offset in range(-2, 3)}
    return next(c for c in ("000000", "111111", "222222", "333333") if c not in accepted)


@pytest.mark.parametrize("kind", ["app code", "recovery code"])
def test_request_and_wrong_code_cost_the_same_for_everyone(app, contacts, monkeypatch, kind):
    code = wrong_code(app.config["TEST_SECRET"]) if kind == "app code" else "abcd-efgh"
    answers, costs = {}, {}
    warm = Auth(app.test_client())  # the process loads its Redis scripts on first use
    assert warm.request("warm-up@example.com", "app").status_code == 302
    assert warm.verify(code).status_code == 400
    for contact in contacts:
        auth = Auth(app.test_client())
        auth.client.get("/otp/request/")
        answers[contact, "request"], costs[contact, "request"] = profile(
            app, monkeypatch, lambda a=auth, c=contact: a.request(c, "app")
        )
        auth.client.get("/otp/verify/")
        answers[contact, "verify"], costs[contact, "verify"] = profile(
            app, monkeypatch, lambda a=auth: a.verify(code)
        )
    for step in ("request", "verify"):
        first = costs[WITH_APP, step]
        assert all(costs[c, step] == first for c in contacts), {c: costs[c, step] for c in contacts}
        assert len({answers[c, step] for c in contacts}) == 1
    sql, redis, calls = costs[WITH_APP, "verify"]
    assert "SELECT" in sql and redis  # the check did look the app up and ask Redis
    if kind == "app code":
        assert calls["decrypt"] == 1 and calls["totp"] == 3 and calls["hmac"] == 4
    assert answers[WITH_APP, "verify"][0] == 400
