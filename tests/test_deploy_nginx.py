"""deploy/nginx.conf hands the app the Host the browser sent, port included.

The app's Origin check (``otpauth.origin``) and Flask-WTF's Referer check compare the
browser's origin with ``request.host_url``, built from ``Host`` (or ``X-Forwarded-Host``
behind ProxyFix). nginx's ``$host`` drops the port, so a site served on any port but 443
would refuse every browser POST; ``$http_host`` keeps it.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

NGINX = Path(__file__).resolve().parent.parent / "deploy" / "nginx.conf"
HEADER_RE = re.compile(r"^\s*proxy_set_header\s+(\S+)\s+(.+?);", re.MULTILINE)
TOKEN_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')
BROWSER_HOST = "billing.example.org:8443"  # served on a port other than 443


def proxied_headers() -> list[tuple[str, str]]:
    """Each ``proxy_set_header`` of the file: (name, value as written)."""
    return HEADER_RE.findall(NGINX.read_text())


def test_every_host_header_keeps_the_port():
    hosts = [(name, value) for name, value in proxied_headers() if "host" in name.lower()]
    assert hosts, "nginx.conf sets no Host header"
    assert {name for name, _ in hosts} >= {"Host", "X-Forwarded-Host"}
    assert all(value == "$http_host" for _, value in hosts), hosts


def as_nginx_sends(browser_host: str) -> dict[str, str]:
    """The Host headers nginx (as configured) passes on for a browser's ``Host``."""
    values = {"$http_host": browser_host, "$host": browser_host.split(":")[0]}
    return {
        name: values[value]
        for name, value in proxied_headers()
        if name in ("Host", "X-Forwarded-Host")
    }


@pytest.mark.parametrize("settings", [{"TRUSTED_PROXIES": 1}])
def test_post_from_the_browser_passes_the_origin_check_on_another_port(client, customer):
    origin = f"https://{BROWSER_HOST}"
    headers = {**as_nginx_sends(BROWSER_HOST), "X-Forwarded-Proto": "https"}
    headers["X-Forwarded-For"] = "203.0.113.9"
    page = client.get("/otp/request/", headers=headers)
    assert page.status_code == 200
    token = TOKEN_RE.search(page.get_data(as_text=True))[1]
    answer = client.post(
        "/otp/request/",
        data={"channel": "email", "contact": "test@example.com", "csrf_token": token},
        headers={**headers, "Origin": origin, "Referer": f"{origin}/otp/request/"},
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
