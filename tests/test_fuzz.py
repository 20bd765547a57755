"""Bad input: arbitrary text, bytes, huge and empty values, NUL bytes, look-alikes and wrong
types at every form and at the CLI. The answer is a 4xx with a message (or a redirect for
input that happens to be valid), or a clean CLI error: never a 500 or a traceback."""

from __future__ import annotations

import io
from urllib.parse import quote_from_bytes

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.security_support import csrf_token, set_pending

FUZZ = settings(
    max_examples=60,
    deadline=None,
    # The app is built once per test and shared by its examples on purpose: state that
    # piles up (limits, pending requests) is more input, and a rebuild per example is slow.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LOOKALIKES = [
    "tеst@example.com",  # Cyrillic e
    "test@exаmple.com",  # Cyrillic a
    "ｔｅｓｔ@ｅｘａｍｐｌｅ.ｃｏｍ",  # fullwidth
    "９８７６５４３２１０",  # fullwidth digits
    "٩٨٧٦٥٤٣٢١٠",  # Arabic-Indic digits
    "test@example.com\u200b",  # zero-width space
    "test@example.com\x00",
    "+91 98765\x0043210",
    "１２３４５６",
    "12345６",
    "",
    " ",
    "\x00",
]
texts = st.one_of(
    st.text(),
    st.text(min_size=255, max_size=3000),
    st.sampled_from(LOOKALIKES),
    st.binary(max_size=64).map(lambda b: b.decode("latin-1")),
)
# A form value: missing, one text, several values, or a file where text is expected.
values = st.one_of(
    st.none(),
    texts,
    st.lists(texts, min_size=2, max_size=3),
    st.binary(max_size=256).map(lambda b: (io.BytesIO(b), "x.bin")),
)
OK = {200, 302, 400, 413, 429}
MESSAGES = ("field-error", 'role="alert"', "<h1>Bad request", "<h1>Request too large")


def check(response) -> None:
    """A clean answer: a known status, and a 4xx page that says what went wrong."""
    assert response.status_code in OK, response.status_code
    page = response.get_data(as_text=True)
    assert "Traceback" not in page
    if response.status_code >= 400:
        assert any(m in page for m in MESSAGES), page[-800:]


def post(client, path: str, token: str, fields: dict, query: str = ""):
    data = {"csrf_token": token}
    data.update({k: v for k, v in fields.items() if v is not None})
    return client.post(path + query, data=data)


@FUZZ
@given(channel=values, contact=values, nxt=texts)
def test_request_form(app, client, customer, channel, contact, nxt):
    token = csrf_token(client)
    query = "?next=" + quote_from_bytes(nxt.encode("utf-8", "surrogatepass"))
    check(post(client, "/otp/request/", token, {"channel": channel, "contact": contact}, query))


@FUZZ
@given(code=values)
def test_verify_form(app, client, customer, code):
    token = csrf_token(client)
    set_pending(client, app)
    check(post(client, "/otp/verify/", token, {"code": code}))


@FUZZ
@given(
    path=st.sampled_from(["/otp/resend/", "/otp/logout/", "/otp/verify/", "/otp/request/"]),
    token=values,
    extra=values,
)
def test_csrf_token_and_stray_fields(app, client, customer, path, token, extra):
    set_pending(client, app)
    data = {"csrf_token": token, "code": extra, "contact": extra}
    response = client.post(path, data={k: v for k, v in data.items() if v is not None})
    check(response)
    assert response.status_code != 302 or path == "/otp/logout/" or token is not None


@FUZZ
@given(body=st.binary(max_size=2048), kind=st.sampled_from(["urlencoded", "multipart", "json"]))
def test_raw_bodies(app, client, customer, body, kind):
    token = csrf_token(client).encode()
    content_type = {
        "urlencoded": "application/x-www-form-urlencoded",
        "multipart": "multipart/form-data; boundary=xyz",
        "json": "application/json",
    }[kind]
    for path in ("/otp/request/", "/otp/verify/"):
        set_pending(client, app)
        raw = b"csrf_token=" + token + b"&" + body
        check(client.post(path, data=raw, content_type=content_type))


def test_huge_body_is_refused_with_413(app, client):
    token = csrf_token(client)
    response = client.post("/otp/request/", data={"csrf_token": token, "contact": "x" * 100_000})
    assert response.status_code == 413
    check(response)


def clean_cli(result) -> None:
    """A CLI answer: success, or a one-line error with exit code 1 or 2; no traceback."""
    assert result.exit_code in (0, 1, 2), (result.exit_code, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output


cli_texts = st.one_of(st.text(max_size=300), st.sampled_from(LOOKALIKES), st.integers().map(str))


@FUZZ
@given(name=cli_texts, email=cli_texts, phone=cli_texts, kind=cli_texts)
def test_customers_create(app, runner, name, email, phone, kind):
    args = ["customers", "create", "--name", name, "--email", email, "--phone", phone]
    clean_cli(runner.invoke(args=[*args, "--type", kind]))


@FUZZ
@given(customer_id=cli_texts, limit=cli_texts)
def test_audit_tail(app, runner, customer_id, limit):
    clean_cli(runner.invoke(args=["audit", "tail", "--customer", customer_id, "--limit", limit]))


@pytest.mark.parametrize(
    "args",
    [["customers", "create"], ["audit", "tail", "--limit"], ["audit", "nope"], ["customers"]],
)
def test_cli_usage_errors_are_clean(app, runner, args):
    clean_cli(runner.invoke(args=args))
