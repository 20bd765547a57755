"""Per-IP limits on /oauth/token and /oauth/authorize."""

from __future__ import annotations

import pytest


@pytest.fixture
def settings():
    return {
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_OAUTH_TOKEN": "3 per minute",
        "RATELIMIT_OAUTH_AUTHORIZE": "2 per minute",
    }


def test_the_token_endpoint_is_limited_per_address(client):
    answers = [client.post("/oauth/token", data={"grant_type": "x"}).status_code for _ in range(4)]
    assert answers[:3] == [400, 400, 400] and answers[3] == 429
    other = client.post("/oauth/token", data={}, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 400


def test_the_authorize_endpoint_is_limited_per_address(client):
    answers = [client.get("/oauth/authorize?client_id=x").status_code for _ in range(3)]
    assert answers == [400, 400, 429]
