"""The figures of bench/login_load.py: computed from the two phases and printed side by side."""

from __future__ import annotations

import argparse
from collections import Counter

from bench.loadclient import STEPS

# The request each step of a login makes, as bench/counters.py names it.
STEP_KEYS = dict(
    zip(
        STEPS,
        (
            "GET /otp/request/",
            "POST /otp/request/",
            "GET /otp/verify/",
            "POST /otp/verify/",
            "GET /dashboard/",
        ),
        strict=True,
    )
)
# Counted per login rather than per request: other threads (the send pool, the audit
# writer's other statements) and the audit writer's batches.
PER_LOGIN = ("background", "audit")


def percentile(samples: list[float], q: float) -> float:
    """The ``q``-th percentile (nearest rank) of ``samples``; 0 without samples."""
    if not samples:
        return 0.0
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def per_step(counters: dict, logins: int) -> dict[str, dict]:
    """Per request of each step (and per login for other threads): SQL, Redis by purpose."""
    steps = {}
    for step, key in {**STEP_KEYS, **{name: name for name in PER_LOGIN}}.items():
        counts = counters.get(key, {"requests": 0, "sql": 0, "redis": Counter()})
        n = max(counts["requests"] if key not in PER_LOGIN else logins, 1)
        redis = {purpose: calls / n for purpose, calls in counts["redis"].items()}
        steps[step] = {"sql": counts["sql"] / n, "redis": redis}
    return steps


def figures(phase: dict, client_commands_per_login: int) -> dict:
    """One phase's headline figures."""
    results = phase["results"]
    logins = max(results.logins, 1)
    steps = per_step(phase["counters"], logins)
    return {
        "logins": results.logins,
        "failures": len(results.failures),
        "logins_per_second": results.logins / results.seconds,
        "cpu_ms_per_login": phase["cpu_seconds"] * 1000 / logins,
        "redis_round_trips_per_login": sum(sum(s["redis"].values()) for s in steps.values()),
        "redis_commands_per_login": phase["redis_commands"] / logins - client_commands_per_login,
        "sql_per_login": sum(s["sql"] for s in steps.values()),
        "steps": steps,
        "latency_ms": {
            step: (percentile(v, 50) * 1000, percentile(v, 99) * 1000)
            for step, v in results.steps.items()
        },
        "memory": phase["memory"],
    }


def _verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def report(args: argparse.Namespace, baseline: dict, otpauth: dict, machine: str) -> dict:
    """Print the comparison; answer the figures (for --json)."""
    base, app = figures(baseline, 1), figures(otpauth, 0)  # the baseline's client reads Redis
    throughput = app["logins_per_second"] / base["logins_per_second"]
    cpu = app["cpu_ms_per_login"] / base["cpu_ms_per_login"]
    print(f"machine: {machine}")
    print(
        f"gunicorn -w {args.workers} sync, {args.clients} closed-loop clients, "
        f"{args.seconds:.0f} s per app, db={args.db}, private redis-server on 127.0.0.1, "
        f"send delay {args.send_delay} s"
    )
    print(f"{'':34}{'baseline':>12}{'otpauth':>12}{'ratio':>9}")
    rows = (
        ("logins (measured)", "logins", "{:.0f}"),
        ("failed logins", "failures", "{:.0f}"),
        ("logins/s", "logins_per_second", "{:.1f}"),
        ("server CPU ms per login", "cpu_ms_per_login", "{:.2f}"),
        ("Redis round trips per login", "redis_round_trips_per_login", "{:.2f}"),
        ("Redis commands per login (server)", "redis_commands_per_login", "{:.2f}"),
        ("SQL statements per login", "sql_per_login", "{:.2f}"),
    )
    for label, key, fmt in rows:
        ratio = app[key] / base[key] if base[key] else float("nan")
        print(f"{label:34}{fmt.format(base[key]):>12}{fmt.format(app[key]):>12}{ratio:>9.2f}")
    print("latency p50 / p99 ms per step       baseline          otpauth")
    for step in STEPS:
        b, a = base["latency_ms"][step], app["latency_ms"][step]
        print(f"  {step:32}{b[0]:7.1f} /{b[1]:6.1f}   {a[0]:7.1f} /{a[1]:6.1f}")
    print("otpauth per request (background: per login): SQL statements, Redis round trips")
    for step, counts in app["steps"].items():
        redis = ", ".join(f"{p} {n:.2f}" for p, n in sorted(counts["redis"].items()))
        print(f"  {step:32}sql {counts['sql']:.2f}   redis: {redis or '-'}")
    memory = app["memory"]
    print(
        f"Redis bytes: per pending code {memory['code_bytes']} ({len(memory['code_keys'])} keys), "
        f"per session {memory['session_bytes']} ({len(memory['session_keys'])} keys), "
        f"per-IP limit counters per client IP {memory['per_ip_bytes']}"
    )
    otp_send = app["steps"]["send"]["redis"].get("otp", 0)
    otp_verify = app["steps"]["verify"]["redis"].get("otp", 0)
    print("targets:")
    print(f"  logins/s >= 0.5x baseline: {throughput:.2f}x  {_verdict(throughput >= 0.5)}")
    print(f"  server CPU per login <= 2x baseline: {cpu:.2f}x  {_verdict(cpu <= 2)}")
    one = abs(otp_send - 1) < 0.01 and abs(otp_verify - 1) < 0.01
    print(f"  OTP round trips send/verify == 1: {otp_send:.2f}/{otp_verify:.2f}  {_verdict(one)}")
    batches = app["steps"]["audit"]["sql"]
    sql = app["sql_per_login"] - batches
    print(f"  SQL statements per login <= 3: {sql:.2f} (audit batches apart)  {_verdict(sql <= 3)}")
    print(
        f"  audit batches: {batches:.2f} per login (one multi-row INSERT per worker per "
        "second, shared by that second's logins)"
    )
    return {"baseline": base, "otpauth": app, "throughput_ratio": throughput, "cpu_ratio": cpu}
