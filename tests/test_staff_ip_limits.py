"""Issue 19: one address may not post the console's sign-in forms without limit."""

from __future__ import annotations

import pytest

from tests.admin_support import add_staff, token_on

pytest_plugins = ("tests.admin_fixtures",)


@pytest.fixture
def settings():
    return {"RATELIMIT_ENABLED": True, "RATELIMIT_ADMIN_LOGIN": "5 per minute"}


def _answers(client, path: str, data: dict, count: int) -> list[int]:  # noqa: ANN001
    return [client.post(path, data=data).status_code for _ in range(count)]


def test_the_password_step_is_limited_per_address(app, client, clean_staff):
    """Fresh e-mails each time (no lockout can help): the sixth POST is refused."""
    add_staff(app, "admin")
    token = token_on(client, "/admin/login/")
    answers = [
        client.post(
            "/admin/login/",
            data={"email": f"x{n}@ops.example.com", "password": "wrong", "csrf_token": token},
        )
        for n in range(6)
    ]
    assert [a.status_code for a in answers] == [400] * 5 + [429]
    assert int(answers[-1].headers["Retry-After"]) > 0
    other = client.post(
        "/admin/login/",
        data={"email": "a@ops.example.com", "password": "x", "csrf_token": token},
        environ_overrides={"REMOTE_ADDR": "10.9.9.9"},
    )
    assert other.status_code == 400  # another address has its own count
    assert client.get("/admin/login/").status_code == 200  # the page itself still shows


def test_the_code_step_and_the_setup_form_are_limited(app, client, clean_staff):
    token = token_on(client, "/admin/login/")
    verify = _answers(client, "/admin/login/verify/", {"code": "1", "csrf_token": token}, 6)
    assert verify[:5] == [302] * 5 and verify[5] == 429
    data = {"password": "x", "confirm": "x", "csrf_token": token}
    setup = _answers(client, "/admin/setup/no-such-link", data, 6)
    assert setup[:5] == [404] * 5 and setup[5] == 429
