"""The bare baseline for bench/login_load.py: five HTTP round trips, one Redis operation each.

A plain Flask app with the same five steps of a login as otpauth (request page, send,
verify page, verify, dashboard) and nothing else: no CSRF, no limits, no audit, no SQL,
no e-mail (the load client reads the code from Redis itself). It shows what Flask,
gunicorn and one Redis round trip per request cost on this machine, so otpauth's figures
can be read as a multiple of it. Not part of the app; never deploy it.

    BASELINE_REDIS_URL=redis://127.0.0.1:PORT/0 gunicorn -w 2 bench.baseline_app:app
"""

from __future__ import annotations

import os
import secrets

import redis
from flask import Flask, redirect, render_template_string, request, session

app = Flask(__name__)
app.secret_key = "bench-baseline-not-secret"  # noqa: S105 - a benchmark stand-in
store = redis.Redis.from_url(os.environ.get("BASELINE_REDIS_URL", "redis://127.0.0.1:6379/15"))

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title>
</head><body><main><h1>{{ title }}</h1>{% if message %}<p>{{ message }}</p>{% endif %}
<form method="post"><label>{{ label }} <input name="{{ field }}"></label>
<button>Continue</button></form></main></body></html>"""


def code_key(contact: str) -> str:
    return f"baseline:code:{contact}"


@app.get("/otp/request/")
def request_page() -> str:
    store.get("baseline:notice")  # one Redis operation, as every step has
    return render_template_string(PAGE, title="Sign in", label="E-mail", field="contact")


@app.post("/otp/request/")
def send():
    contact = request.form["contact"]
    store.set(code_key(contact), f"{secrets.randbelow(10**6):06d}", ex=300)
    session["contact"] = contact
    return redirect("/otp/verify/")


@app.get("/otp/verify/")
def verify_page() -> str:
    left = store.ttl(code_key(session["contact"]))
    return render_template_string(
        PAGE, title="Enter code", label="Code", field="code", message=f"{left} s left"
    )


@app.post("/otp/verify/")
def verify():
    stored = store.getdel(code_key(session["contact"]))
    if stored is None or not secrets.compare_digest(stored.decode(), request.form["code"]):
        return render_template_string(PAGE, title="Enter code", label="Code", field="code"), 400
    session["user"] = session.pop("contact")
    return redirect("/dashboard/")


@app.get("/dashboard/")
def dashboard() -> str:
    seen = store.incr(f"baseline:seen:{session['user']}")
    return render_template_string(
        PAGE, title="Dashboard", label="Note", field="note", message=f"Visit {seen}"
    )


@app.get("/healthz")
def healthz() -> dict:
    return {"status": "ok"}
