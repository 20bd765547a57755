"""``/metrics`` (multiprocess: every process of the deployment adds up) and ``/healthz``'s
queue report."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from otpauth.delivery.queue import beat, queue_connection
from tests.security_support import login

pytest_plugins = ("tests.delivery_fixtures",)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def value(text: str, name: str, **labels: str) -> float:
    """One sample's value from Prometheus text (0 if absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        match = re.fullmatch(r"([a-z_]+)(?:\{(.*)\})? (\S+)", line)
        if not match or match[1] != name:
            continue
        have = ",".join(sorted((match[2] or "").split(","))) if match[2] else ""
        if have == wanted:
            return float(match[3])
    return 0.0


def scrape(client, **headers: str) -> str:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/plain")
    return response.get_data(as_text=True)


def test_a_login_shows_in_the_counters(app, client, auth, customer, outbox):
    before = scrape(client)
    login(auth, outbox)
    after = scrape(client)
    for event in ("otp_requested", "otp_queued", "otp_sent", "login"):
        grew = value(after, "otpauth_events_total", channel="email", event=event) - value(
            before, "otpauth_events_total", channel="email", event=event
        )
        assert grew == 1, event
    sends = value(after, "otpauth_delivery_seconds_count", channel="email") - value(
        before, "otpauth_delivery_seconds_count", channel="email"
    )
    assert sends == 1
    assert value(after, "otpauth_queue_depth") == 0
    assert value(after, "otpauth_sms_sent_this_hour") == 0
    assert value(after, "otpauth_breaker_open", channel="email") == 0


def test_another_process_adds_up(app, client):
    """The worker and each gunicorn worker write their own files; /metrics sums them."""
    before = value(scrape(client), "otpauth_events_total", channel="sms", event="otp_delivered")
    code = (
        "from otpauth.platform import metrics\n"
        "for _ in range(3): metrics.count_event('otp_delivered', 'sms')"
    )
    env = {**os.environ, "PYTHONPATH": ROOT}  # same PROMETHEUS_MULTIPROC_DIR, set on import
    subprocess.run([sys.executable, "-c", code], env=env, check=True, cwd=ROOT)
    after = value(scrape(client), "otpauth_events_total", channel="sms", event="otp_delivered")
    assert after - before == 3


def test_sms_counted_this_hour(app, client, auth, customer, sms):
    auth.request("9876543210", "sms")
    assert value(scrape(client), "otpauth_sms_sent_this_hour") == 1


@pytest.mark.parametrize("settings", [{"METRICS_TOKEN": "s3cret-token"}])
def test_token_required_when_set(client, settings):
    assert client.get("/metrics").status_code == 401
    wrong = client.get("/metrics", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.headers["WWW-Authenticate"] == "Bearer"
    assert scrape(client, Authorization="Bearer s3cret-token")


def test_production_without_token_is_404(app, client):
    app.config["ENV_NAME"] = "production"  # the rest of production's checks are not the point
    assert client.get("/metrics").status_code == 404


@pytest.mark.parametrize("settings", [{"REDIS_URL": "redis://127.0.0.1:1/0"}])
def test_redis_errors_are_counted(client, settings):
    before = value(scrape(client), "otpauth_redis_errors_total", where="metrics")
    after = value(scrape(client), "otpauth_redis_errors_total", where="metrics")
    assert after - before == 1


@pytest.mark.parametrize("backend", ["servers"], indirect=True)
@pytest.mark.parametrize("settings", [{"DELIVERY_MODE": "queue"}])
def test_healthz_reports_queue_depth_and_workers(app, client, auth, customer, run_worker, settings):
    auth.request()
    auth.request("nobody@example.com")
    report = client.get("/healthz")
    assert report.status_code == 200  # no worker is not unhealthy: degraded, and named
    assert report.get_json() == {
        "status": "degraded",
        "problem": "no delivery worker",
        "database": "ok",
        "redis": "ok",
        "queue_depth": 2,
        "workers": 0,
    }
    text = scrape(client)
    assert value(text, "otpauth_queue_depth") == 2
    assert "otpauth_queue_workers 0.0" in text
    run_worker()
    with app.app_context():
        beat(queue_connection(), "worker-1")  # what a running worker's pulse does
    report = client.get("/healthz").get_json()
    assert (report["status"], report["queue_depth"], report["workers"]) == ("ok", 0, 1)
    assert "problem" not in report
    assert value(scrape(client), "otpauth_queue_workers") == 1


@pytest.mark.parametrize("backend", ["servers"], indirect=True)
@pytest.mark.parametrize("settings", [{"DELIVERY_MODE": "queue"}])
def test_every_key_rq_writes_has_a_ttl(
    app, auth, customer, run_worker, redis_client, settings, smtp_server
):
    app.extensions["otpauth.delivery"].senders["email"] = _Failing()
    auth.request()  # fails for good in the worker: the failed registry gets an entry
    auth.request("nobody@example.com")
    run_worker()
    keys = redis_client.keys("*")
    assert any(b"rq:failed:" in k for k in keys)
    for key in keys:
        assert redis_client.ttl(key) > 0, key


class _Failing:
    def send(self, message) -> None:  # noqa: ANN001
        from otpauth.delivery import DeliveryError

        raise DeliveryError("test: refused", temporary=False)
