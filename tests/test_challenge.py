"""Proof of work under attack: off, auto (the meter crosses the threshold), always."""

from __future__ import annotations

import base64
import html
import json
import re
import time

import altcha
import pytest

from tests.round_trips import command_names, round_trips
from tests.security_support import EMAIL, csrf_token, events, notice, set_pending

CHEAP = {"CHALLENGE_COST": 1}  # the same protocol, with a proof a test solves at once
ALWAYS = {"CHALLENGE_MODE": "always", **CHEAP}


def page_challenge(client) -> dict | None:  # noqa: ANN001
    """The challenge the request page carries, or None."""
    page = client.get("/otp/request/").get_data(as_text=True)
    match = re.search(r'<altcha-widget challenge="([^"]+)"', page)
    return json.loads(html.unescape(match.group(1))) if match else None


def solve(challenge: dict) -> str:
    """What the widget puts in the ``altcha`` field once it has done the work."""
    parsed = altcha.Challenge.from_dict(challenge)
    solution = altcha.solve_challenge(parsed)
    return altcha.Payload(parsed, solution).to_base64()


def post(client, contact: str = EMAIL, solution: str | None = None):  # noqa: ANN001
    data = {"channel": "email", "contact": contact, "csrf_token": csrf_token(client)}
    if solution is not None:
        data["altcha"] = solution
    return client.post("/otp/request/", data=data)


def refused(answer) -> bool:  # noqa: ANN001
    return answer.status_code == 400 and "Please complete the check" in notice(answer)


@pytest.mark.parametrize(
    "settings", [{"CHALLENGE_MODE": "off", "CHALLENGE_THRESHOLD_PER_MINUTE": 1}]
)
def test_off_never_asks(app, client, customer, outbox, settings):
    for contact in ("a@example.com", "b@example.com", "c@example.com"):
        assert post(client, contact).status_code == 302
    assert page_challenge(client) is None
    assert post(client).status_code == 302 and len(outbox) == 1


@pytest.mark.parametrize("settings", [ALWAYS])
def test_always_shows_the_widget_and_says_what_to_do_without_javascript(app, client, settings):
    page = client.get("/otp/request/").get_data(as_text=True)
    assert "<altcha-widget" in page and 'name="altcha"' in page
    assert "<noscript>" in page and "needs JavaScript" in page
    assert "/static/vendor/altcha/altcha.min.js" in page and "/static/challenge.js" in page
    for asset in ("vendor/altcha/altcha.min.js", "vendor/altcha/pbkdf2.js", "challenge.js"):
        with client.get(f"/static/{asset}") as answer:
            assert answer.status_code == 200
    csp = client.get("/otp/request/").headers["Content-Security-Policy"]
    assert "script-src 'self';" in csp and "blob:" not in csp and "unsafe" not in csp


@pytest.mark.parametrize("settings", [ALWAYS])
def test_always_needs_a_solution_and_sends_nothing_without(app, client, customer, outbox, settings):
    assert refused(post(client)) and outbox == []
    assert [e.event for e in events(app) if e.event.startswith("challenge")] == ["challenge_failed"]
    answer = post(client, solution=solve(page_challenge(client)))
    assert answer.status_code == 302 and len(outbox) == 1


@pytest.mark.parametrize("settings", [ALWAYS])
def test_a_solution_works_once(app, client, customer, outbox, settings):
    solution = solve(page_challenge(client))
    assert post(client, solution=solution).status_code == 302
    replay = app.test_client()  # another browser, another session: the same payload
    assert refused(post(replay, "other@example.com", solution))
    assert refused(post(client, solution=solution)) and len(outbox) == 1


def _tampered(payload: str, change) -> str:  # noqa: ANN001
    data = json.loads(base64.b64decode(payload))
    change(data)
    return base64.b64encode(json.dumps(data).encode()).decode()


def _foreign(app, **options) -> str:  # noqa: ANN001, ANN003
    """A solved challenge the app did not sign (another key) or signed with other terms."""
    params = {"key_prefix": "00", "expires_at": int(time.time()) + 600, **options}
    key = params.pop("hmac_secret", "not-our-key")
    challenge = altcha.create_challenge("PBKDF2/SHA-256", 1, hmac_secret=key, **params)
    return altcha.Payload(challenge, altcha.solve_challenge(challenge)).to_base64()


def _ours(app) -> bytes:  # noqa: ANN001
    return app.extensions["otpauth.challenge"]._hmac_key


@pytest.mark.parametrize("settings", [ALWAYS])
@pytest.mark.parametrize(
    "forge",
    [
        lambda app, good: "",
        lambda app, good: "not base64 at all",
        lambda app, good: base64.b64encode(b'{"challenge": 1}').decode(),
        lambda app, good: "A" * 10_000,
        lambda app, good: _tampered(
            good, lambda d: d["solution"].update(counter=0, derivedKey="00")
        ),
        lambda app, good: _tampered(good, lambda d: d["challenge"]["parameters"].update(cost=0)),
        lambda app, good: _tampered(good, lambda d: d["challenge"].update(signature="0" * 64)),
        lambda app, good: _tampered(
            good, lambda d: d["challenge"]["parameters"].update(keyPrefix="")
        ),
        lambda app, good: _foreign(app),
        lambda app, good: _foreign(app, hmac_secret=_ours(app), expires_at=int(time.time()) - 5),
        lambda app, good: _foreign(app, hmac_secret=_ours(app), key_prefix=""),
    ],
    ids=[
        "empty",
        "garbage",
        "no-solution",
        "huge",
        "wrong-solution",
        "cheaper",
        "bad-signature",
        "no-work",
        "other-key",
        "expired",
        "ours-but-no-work",
    ],
)
def test_forged_solutions_are_refused(app, client, customer, outbox, settings, forge):
    good = solve(page_challenge(client))
    assert refused(post(client, solution=forge(app, good))) and outbox == []


@pytest.mark.parametrize("settings", [ALWAYS])
def test_known_and_unknown_contacts_see_the_same(app, customer, outbox, settings):
    answers = []
    for contact in (EMAIL, "nobody@example.com"):
        client = app.test_client()
        without = post(client, contact)
        with_solution = post(client, contact, solve(page_challenge(client)))
        answers.append((without.status_code, notice(without), with_solution.status_code))
    assert answers[0] == answers[1] == (400, answers[0][1], 302)
    assert len(outbox) == 1


AUTO = {"CHALLENGE_THRESHOLD_PER_MINUTE": 4, "CHALLENGE_RECHECK_SECONDS": 0, **CHEAP}


@pytest.mark.parametrize("settings", [AUTO])
def test_auto_asks_once_sends_and_guesses_cross_the_threshold(app, client, customer, settings):
    assert app.config["CHALLENGE_MODE"] == "auto"  # the default
    assert page_challenge(client) is None
    for n in range(2):
        assert post(client, f"caller{n}@example.com").status_code == 302
    token = csrf_token(client)
    set_pending(client, app)
    for _ in range(3):  # wrong guesses count as well
        client.post("/otp/verify/", data={"code": "000000", "csrf_token": token})
    assert page_challenge(client) is not None  # 5 attempts this minute > 4
    assert refused(post(client, "caller9@example.com"))
    assert post(client, "caller9@example.com", solve(page_challenge(client))).status_code == 302


@pytest.mark.parametrize("settings", [AUTO])
def test_auto_looks_back_one_minute_only(app, client, settings):
    """A sliding minute: the last clock minute counts for the part still inside the window."""
    meter = app.extensions["otpauth.challenge"].meter
    minute_start = time.time() // 60 * 60
    meter.clock = lambda: minute_start - 30  # the last minute was busy
    for n in range(5):
        post(client, f"caller{n}@example.com")
    meter.clock = lambda: minute_start + 1  # 5 x 59/60 of them still in the window
    assert page_challenge(client) is not None
    meter.clock = lambda: minute_start + 50  # 5 x 10/60: under the threshold of 4
    assert page_challenge(client) is None
    meter.clock = lambda: minute_start + 61  # a quiet minute later
    assert page_challenge(client) is None


@pytest.mark.parametrize("settings", [{"CHALLENGE_MODE": "off"}, {"CHALLENGE_MODE": "auto"}])
def test_counting_rides_on_the_scripts_round_trip(app, client, customer, redis_client, settings):
    """Counted in every mode; in auto the meter is read at most once per 5 s per process."""
    post(client, "warm@example.com")  # scripts loaded, connections open
    token = csrf_token(client)
    set_pending(client, app)
    client.post("/otp/verify/", data={"code": "000000", "csrf_token": token})
    with round_trips() as writes:
        client.post("/otp/verify/", data={"code": "000000", "csrf_token": token})
    assert [command_names(w) for w in writes] == [["EVALSHA", "INCRBY", "EXPIRE"]]
    minute_keys = [k.decode() for k in redis_client.keys("rate:*")]
    assert minute_keys and all(k.startswith("rate:{global}:") for k in minute_keys)
    assert all(0 < redis_client.ttl(k) <= 120 for k in minute_keys)


@pytest.mark.parametrize("settings", [ALWAYS])
def test_used_solutions_are_kept_with_a_ttl(app, client, customer, redis_client, settings):
    post(client, solution=solve(page_challenge(client)))
    used = [k.decode() for k in redis_client.keys("pow:*")]
    assert len(used) == 1 and used[0].endswith(":used")
    assert 600 < redis_client.ttl(used[0]) <= 660


@pytest.mark.parametrize("settings", [ALWAYS])
def test_a_resend_costs_a_proof_too(app, client, customer, outbox, redis_client, settings):
    assert post(client, solution=solve(page_challenge(client))).status_code == 302
    for key in redis_client.scan_iter("otp:*:cool"):  # the cooldown has passed
        redis_client.delete(key)
    verify_page = client.get("/otp/verify/").get_data(as_text=True)
    match = re.search(r'<altcha-widget challenge="([^"]+)"', verify_page)
    assert match and "needs JavaScript" in verify_page
    token = csrf_token(client, "/otp/verify/")
    answer = client.post("/otp/resend/", data={"csrf_token": token})
    assert answer.status_code == 400 and "Please complete the check" in notice(answer)
    assert len(outbox) == 1
    solution = solve(json.loads(html.unescape(match.group(1))))
    answer = client.post("/otp/resend/", data={"csrf_token": token, "altcha": solution})
    assert answer.status_code == 302 and len(outbox) == 2


@pytest.mark.parametrize("settings", [{"CHALLENGE_THRESHOLD_PER_MINUTE": 4, **CHEAP}])
def test_auto_reads_the_meter_at_most_once_per_recheck(app, client, settings):
    service = app.extensions["otpauth.challenge"]
    assert page_challenge(client) is None
    for n in range(5):
        post(client, f"caller{n}@example.com")
    assert page_challenge(client) is None  # this process read the meter < 5 s ago
    service._checked_at -= 5
    assert page_challenge(client) is not None
