"""No 500 from input: control characters in next, malformed Referer or Origin, 413s."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from urllib.parse import quote

import pytest

from otpauth import ROOT
from tests.ports import listening_socket
from tests.security_support import EMAIL, code_in, csrf_token


@pytest.mark.parametrize(
    "target",
    ["/\r//evil.test", "/\n/evil.test", "/\x00/x", "/\x7f//evil.test", "/\u2028//evil.test"],
)
@pytest.mark.parametrize("where", ["request", "verify"])
def test_control_characters_in_next_are_refused_not_500(
    app, client, auth, customer, outbox, target, where
):
    query = "?next=" + quote(target, safe="")
    if where == "request":
        auth.request(path="/otp/request/" + query)
        answer = auth.verify(code_in(outbox[-1]))
    else:
        auth.request()
        token = csrf_token(client, "/otp/verify/")
        data = {"code": code_in(outbox[-1]), "csrf_token": token}
        answer = client.post("/otp/verify/" + query, data=data)
    assert answer.status_code == 302 and answer.headers["Location"] == "/dashboard/"


def _post(client, headers: dict, base: str = "http://localhost"):  # noqa: ANN001
    token = csrf_token(client)
    data = {"channel": "email", "contact": EMAIL, "csrf_token": token}
    return client.post("/otp/request/", data=data, headers=headers, base_url=base)


BAD_REFERERS = [
    "https://127.0.0.1:8000.evil.test/",
    "[::1",
    "http://[::1",
    "https://localhost:99999/",
    "http://localhost:x/",
]


@pytest.mark.parametrize("referer", BAD_REFERERS)
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_malformed_referer_is_a_csrf_400(app, client, customer, outbox, referer, scheme):
    client.environ_base["wsgi.url_scheme"] = scheme
    answer = _post(client, {"Referer": referer}, f"{scheme}://localhost")
    assert answer.status_code == 400
    assert "was not sent from our site" in answer.get_data(as_text=True) and outbox == []


@pytest.mark.parametrize(
    "origin",
    [
        "https://evil.test",
        "http://localhost.evil.test",
        "https://localhost",
        "http://localhost:8000",
    ]
    + ["null", "[::1", "http://[::1", "http://localhost:99999", "javascript:alert(1)", ""],
)
def test_origin_must_be_ours(app, client, customer, outbox, origin):
    answer = _post(client, {"Origin": origin})
    assert answer.status_code == 400 and outbox == []


@pytest.mark.parametrize("origin", ["http://localhost", "http://LOCALHOST:80"])
def test_our_own_origin_is_accepted(app, client, customer, outbox, origin):
    assert _post(client, {"Origin": origin}).status_code == 302 and len(outbox) == 1


@pytest.mark.parametrize("settings", [{"TRUSTED_PROXIES": 1}])
def test_origin_is_compared_with_the_host_the_proxy_saw(app, client, customer, outbox, settings):
    proxied = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "otp.example.com"}
    client.environ_base["HTTP_REFERER"] = "https://otp.example.com/otp/request/"
    refused = _post(client, {**proxied, "Origin": "http://localhost"})
    assert refused.status_code == 400
    accepted = _post(client, {**proxied, "Origin": "https://otp.example.com"})
    assert accepted.status_code == 302 and len(outbox) == 1


def test_get_requests_are_not_checked(app, client):
    assert (
        client.get("/otp/request/", headers={"Origin": "null", "Referer": "[::1"}).status_code
        == 200
    )


def test_oversized_body_is_413_with_connection_close(app, client):
    answer = client.post("/otp/request/", data={"contact": "x" * 100_000})
    assert answer.status_code == 413 and answer.headers["Connection"] == "close"
    assert "Traceback" not in answer.get_data(as_text=True)


@pytest.fixture
def gunicorn(tmp_path):
    """The app under gunicorn's threaded worker (keep-alive on), on a socket of the test's
    own (a free port, handed over as ``fd://``: no other server can be on it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OTPAUTH", "REDIS"))}
    env.update(OTPAUTH_ENV="testing", DATABASE_URL=f"sqlite:///{tmp_path}/x.sqlite")
    binary = os.path.join(os.path.dirname(sys.executable), "gunicorn")
    args = [binary, "-k", "gthread", "--threads", "2", "-w", "1", "--keep-alive", "30"]
    listener = listening_socket()
    port = listener.getsockname()[1]
    args += ["-b", f"fd://{listener.fileno()}", "wsgi:app"]
    process = subprocess.Popen(
        args,
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        pass_fds=[listener.fileno()],
    )
    listener.close()  # gunicorn has its own copy
    try:
        wait_for_http(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)


def wait_for_http(port: int) -> None:
    """Until the server answers an HTTP request (the socket accepts before it does)."""
    for _ in range(150):
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
                conn.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if conn.recv(12).startswith(b"HTTP/1."):
                    return
        except OSError:
            pass
        time.sleep(0.2)  # waiting for the server to answer, not measuring anything


def test_gunicorn_closes_the_connection_after_an_early_413(gunicorn):
    body = b"contact=" + b"x" * 200_000
    head = (
        "POST /otp/request/ HTTP/1.1\r\nHost: localhost\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", gunicorn), timeout=10) as conn:
        conn.sendall(head + body)
        received = b""
        while chunk := conn.recv(65536):  # ends when the server closes the connection
            received += chunk
    status, _, rest = received.partition(b"\r\n")
    assert status.startswith(b"HTTP/1.1 413 ")
    assert b"\r\nConnection: close\r\n" in rest.split(b"\r\n\r\n")[0] + b"\r\n"
    assert received.count(b"HTTP/1.1 ") == 1


def test_malformed_referer_on_a_missing_page_is_not_a_500(app, client):
    client.environ_base["wsgi.url_scheme"] = "https"
    token = csrf_token(client)
    answer = client.post(
        "/no/such/page",
        data={"csrf_token": token},
        headers={"Referer": "https://127.0.0.1:8000.evil.test/"},
        base_url="https://localhost",
    )
    assert answer.status_code == 400
