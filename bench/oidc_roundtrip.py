"""Cost of an OpenID Connect round trip against one dashboard page view (issue 22).

A signed-in customer's portal round trip is three requests: the authorize redirect
(first-party client, so no consent page), the token exchange (an RS256 ID token signed)
and userinfo. This measures the app process's CPU (``time.process_time``) for N round
trips and for N dashboard page views, in alternating rounds, through Flask's test client
on the real Redis named by ``--redis`` (its own database number: it is flushed) and a
temporary SQLite file. The target: a round trip ≤ 2× one dashboard view. Usage:

    .venv/bin/python bench/oidc_roundtrip.py [--redis redis://127.0.0.1:6379/10] [--n 300]
"""

from __future__ import annotations

import argparse
import base64
import os
import re
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

import redis

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["OTPAUTH_ENV"] = "testing"
REDIRECT = "http://127.0.0.1:9/cb"
CODE_RE = re.compile(r"\b(\d{6})\b")
CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def build(url: str):  # noqa: ANN201
    """The app, migrated, with a customer, a first-party client and a signed-in browser."""
    from flask_migrate import upgrade

    from otpauth import create_app
    from otpauth.delivery import RecordingSender, delivery
    from otpauth.oidc import clients
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Customer

    client = redis.Redis.from_url(url)
    client.flushdb()
    sql = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "bench.sqlite")
    # Audit rows batched as in production (AUDIT_FLUSH_SECONDS' default there).
    settings = {"DATABASE_URL": sql, "REDIS_CLIENT": client, "RATELIMIT_ENABLED": False,
                "AUDIT_FLUSH_SECONDS": 1.0}  # fmt: skip
    app = create_app({**settings, "OIDC_ISSUER": "http://localhost", "DELIVERY_SEND_DELAY": 0})
    with app.app_context():
        upgrade()
        mail = RecordingSender()
        delivery().senders = {"email": mail, "sms": RecordingSender()}
        db.session.add(Customer(name="Asha", email="a@example.com", customer_type="Household"))
        created = clients.create("Portal", [REDIRECT], first_party=True)
        db.session.commit()
        rp = (created.client.client_id, created.secret)
    browser = app.test_client()
    token = CSRF_RE.search(browser.get("/otp/request/").get_data(as_text=True)).group(1)
    browser.post("/otp/request/", data={"contact": "a@example.com", "channel": "email",
                                         "csrf_token": token})  # fmt: skip
    app.extensions["otpauth.delivery"].pool.wait_idle(10)
    code = CODE_RE.search(mail.messages[-1].text).group(1)
    token = CSRF_RE.search(browser.get("/otp/verify/").get_data(as_text=True)).group(1)
    browser.post("/otp/verify/", data={"code": code, "csrf_token": token})
    return app, browser, rp


def round_trip(browser, rp: tuple[str, str]) -> None:  # noqa: ANN001
    client_id, secret = rp
    query = urlencode({"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT,
                       "scope": "openid profile email", "state": "s", "nonce": "n"})  # fmt: skip
    location = browser.get("/oauth/authorize?" + query).headers["Location"]
    code = parse_qs(urlsplit(location).query)["code"][0]
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    answer = browser.post(
        "/oauth/token",
        data={"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT},
        headers={"Authorization": f"Basic {basic}"},
    ).get_json()
    info = browser.get(
        "/oauth/userinfo", headers={"Authorization": "Bearer " + answer["access_token"]}
    )
    assert info.status_code == 200


def dashboard(browser, rp: tuple[str, str]) -> None:  # noqa: ANN001
    assert browser.get("/dashboard/").status_code == 200


def cpu_ms(action, browser, rp, n: int) -> float:  # noqa: ANN001
    start = time.process_time()
    for _ in range(n):
        action(browser, rp)
    return (time.process_time() - start) * 1000 / n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/10")
    parser.add_argument("--n", type=int, default=300, help="per round and kind")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    app, browser, rp = build(args.redis)
    with app.app_context():
        for action in (round_trip, dashboard):  # warm-up: key made and cached, pages compiled
            cpu_ms(action, browser, rp, 20)
    trips, views = [], []
    for _ in range(args.rounds):
        trips.append(cpu_ms(round_trip, browser, rp, args.n))
        views.append(cpu_ms(dashboard, browser, rp, args.n))
    trip, view = sorted(trips)[len(trips) // 2], sorted(views)[len(views) // 2]
    print(f"round trip (authorize + token + userinfo): {trip:.2f} ms CPU (median of rounds)")
    print(f"dashboard page view:                       {view:.2f} ms CPU")
    print(f"ratio: {trip / view:.2f} (target <= 2.0)")


if __name__ == "__main__":
    main()
