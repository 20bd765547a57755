"""deploy/: the Grafana dashboard and the Prometheus alert rules parse, cover what ops need
(worker down, breaker open, SMS budget above 80 %, send failures above 5 %, a channel's
delivery rate below 80 %) and name only metrics that /metrics exports."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import IN_CI

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
EXPORTED = {
    "otpauth_events_total",
    "otpauth_delivery_seconds_bucket",
    "otpauth_delivery_seconds_count",
    "otpauth_delivery_seconds_sum",
    "otpauth_queue_depth",
    "otpauth_queue_workers",
    "otpauth_sms_sent_this_hour",
    "otpauth_sms_max_per_hour",
    "otpauth_breaker_open",
    "otpauth_redis_errors_total",
    "otpauth_messages_total",
    "otpauth_message_segments_total",
}
METRIC_RE = re.compile(r"\botpauth_[a-z_]+")


def rules() -> list[dict]:
    document = yaml.safe_load((DEPLOY / "prometheus-alerts.yml").read_text())
    return [rule for group in document["groups"] for rule in group["rules"]]


def test_alert_rules_parse_and_cover_the_five_alerts():
    by_name = {rule["alert"]: rule for rule in rules()}
    assert set(by_name) == {
        "OtpauthDeliveryWorkerDown",
        "OtpauthDeliveryBreakerOpen",
        "OtpauthSmsBudgetAbove80Percent",
        "OtpauthSendFailuresAbove5Percent",
        "OtpauthDeliveryRateLow",
    }
    assert "> 0.8" in by_name["OtpauthSmsBudgetAbove80Percent"]["expr"]
    rate = by_name["OtpauthDeliveryRateLow"]["expr"]
    assert "< 0.8" in rate and rate.count("sum by (channel)") == 3  # per channel
    assert "> 0.05" in by_name["OtpauthSendFailuresAbove5Percent"]["expr"]
    for rule in by_name.values():
        assert rule["labels"]["severity"] in ("warning", "critical")
        assert rule["annotations"]["summary"]
        assert re.fullmatch(r"\d+[smh]", rule.get("for", "0m"))
        assert rule["expr"].count("(") == rule["expr"].count(")")


def test_dashboard_parses_and_queries_exported_metrics():
    dashboard = json.loads((DEPLOY / "grafana-dashboard.json").read_text())
    assert dashboard["uid"] == "otpauth-delivery" and dashboard["panels"]
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    ids = [panel["id"] for panel in dashboard["panels"]]
    assert len(ids) == len(set(ids))
    used = {m for expr in exprs + [r["expr"] for r in rules()] for m in METRIC_RE.findall(expr)}
    assert used <= EXPORTED, used - EXPORTED


def test_exported_names_are_what_metrics_serves(client, auth, customer, outbox, sms):
    auth.request()
    auth.request("9876543210", "sms")  # a metered send: its segments are counted
    text = client.get("/metrics").get_data(as_text=True)
    served = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line[:1] != "#"}
    assert EXPORTED - {"otpauth_redis_errors_total"} <= served  # errors: only once one happened


def test_promtool_accepts_the_rules():
    """Debian's `prometheus` package brings promtool (.ci/run installs it): it must agree."""
    promtool = shutil.which("promtool")
    if promtool is None:
        if IN_CI:
            pytest.fail("promtool is missing: .ci/run installs Debian's prometheus package")
        pytest.skip("promtool is not installed (apt-get install prometheus); YAML checks ran")
    result = subprocess.run(
        [promtool, "check", "rules", str(DEPLOY / "prometheus-alerts.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 5 rules found" in result.stdout
