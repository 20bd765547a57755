"""CPU of a passkey sign-in beside a code sign-in, in one process (Flask's test client).

A code sign-in: the request page, its POST, the verify page, the code's POST, the
dashboard. A passkey sign-in: the request page, ``/passkey/options``, ``/passkey/verify``,
the dashboard. Only the app's own work is timed (``time.process_time`` around each
request): the software authenticator's signing is the browser's work and is left out.
Runs on a temporary SQLite file and the embedded Redis, or ``--redis URL`` (its database
is flushed). Usage (from the repository root):

    .venv/bin/python bench/passkey_cost.py [--logins 300] [--redis redis://127.0.0.1:6379/10]
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ["OTPAUTH_ENV"] = "testing"

ORIGIN = "http://localhost:5000"
CSRF = re.compile(r'(?:name="csrf_token"[^>]*value|data-csrf)="([^"]+)"')
CODE = re.compile(r"\b(\d{6})\b")


class Timed:
    """A test client whose requests add up the process CPU they take."""

    def __init__(self, client) -> None:  # noqa: ANN001
        self.client, self.cpu = client, 0.0

    def __getattr__(self, verb: str):  # noqa: ANN204
        call = getattr(self.client, verb)

        def timed(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
            start = time.process_time()
            try:
                return call(*args, **kwargs)
            finally:
                self.cpu += time.process_time() - start

        return timed


def token(page) -> str:  # noqa: ANN001
    return CSRF.search(page.get_data(as_text=True)).group(1)


def code_login(web: Timed, sent: list, pool) -> None:  # noqa: ANN001
    page = web.get("/otp/request/")
    web.post("/otp/request/", data={"csrf_token": token(page), "contact": "test@example.com"})
    if pool is not None:  # inline sends run on the app's pool: wait (not counted: idle)
        pool.wait_idle(10)
    page = web.get("/otp/verify/")
    code = CODE.search(sent[-1].text).group(1)
    web.post("/otp/verify/", data={"csrf_token": token(page), "code": code})
    assert web.get("/dashboard/").status_code == 200


def passkey_login(web: Timed, credential) -> None:  # noqa: ANN001
    page = web.get("/otp/request/")
    headers = {"X-CSRFToken": token(page), "Content-Type": "application/json"}
    options = web.post("/passkey/options", data="{}", headers=headers).get_json()
    start = time.process_time()
    body = credential.assert_(options, ORIGIN)  # the browser's work: not counted
    web.cpu -= time.process_time() - start
    answer = web.post("/passkey/verify", json=body, headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert web.get("/dashboard/").status_code == 200


def logout(client) -> None:  # noqa: ANN001
    page = client.get("/dashboard/")
    client.post("/otp/logout/", data={"csrf_token": token(page)})


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--logins", type=int, default=300)
    parser.add_argument("--redis", default="")
    args = parser.parse_args()

    from flask_migrate import upgrade

    from tests.soft_authenticator import for_options

    app = build_app(args.redis, upgrade)
    client = app.test_client()
    sent = app.extensions["otpauth.delivery"].senders["email"].messages
    pool = app.extensions["otpauth.delivery"].pool
    code_login(Timed(client), sent, pool)
    credential = enrol(client, for_options)
    logout(client)
    runs = {
        "code": lambda web: code_login(web, sent, pool),
        "passkey": lambda web: passkey_login(web, credential),
    }
    figures: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(args.logins):  # alternating, so both see the same machine
        for name, run in runs.items():
            web = Timed(client)
            run(web)
            figures[name].append(web.cpu * 1000)
            logout(client)
    for name, samples in figures.items():
        print(
            f"{name:8s} sign-in: median {statistics.median(samples):.2f} ms CPU, "
            f"mean {statistics.fmean(samples):.2f} ms ({len(samples)} logins)"
        )
    ratio = statistics.median(figures["passkey"]) / statistics.median(figures["code"])
    print(f"passkey / code (median CPU): {ratio:.2f}")


def build_app(redis_url: str, upgrade):  # noqa: ANN001, ANN201
    import fakeredis
    import redis

    from otpauth import create_app
    from otpauth.delivery import RecordingSender, delivery
    from otpauth.platform.extensions import db
    from otpauth.signin.models import Customer

    client = redis.Redis.from_url(redis_url) if redis_url else fakeredis.FakeRedis()
    if redis_url:
        client.flushdb()
    url = "sqlite:///" + os.path.join(tempfile.mkdtemp(), "bench.sqlite")
    app = create_app(
        {
            "DATABASE_URL": url,
            "REDIS_CLIENT": client,
            "RATELIMIT_ENABLED": False,
            "PUBLIC_URL": ORIGIN,
            "OTP_RESEND_COOLDOWN_SECONDS": 0,
            "OTP_MAX_REQUESTS": 10**6,
            "CHALLENGE_MODE": "off",  # hundreds of requests a minute would ask for proof of work
            "DELIVERY_SEND_DELAY": 0,
        }
    )
    with app.app_context():
        upgrade()
        delivery().senders = {"email": RecordingSender(), "sms": RecordingSender()}
        db.session.add(
            Customer(name="Asha Rao", email="test@example.com", customer_type="Household")
        )
        db.session.commit()
    return app


def enrol(client, for_options):  # noqa: ANN001, ANN201
    page = client.get("/account/passkeys/")
    headers = {"X-CSRFToken": token(page), "Content-Type": "application/json"}
    options = client.post("/account/passkeys/options", data="{}", headers=headers).get_json()
    credential = for_options(options)
    answer = client.post(
        "/account/passkeys/", json=credential.register(options, ORIGIN), headers=headers
    )
    assert answer.status_code == 201, answer.get_data(as_text=True)
    return credential


if __name__ == "__main__":
    main()
