"""Profile complete logins in one process (pyinstrument): where otpauth's CPU per login goes.

The app in its production profile on a private redis-server, SQLite, inline SMTP to the
bench's sink, driven through Flask's test client (no HTTP server: what is left is the
app's own cost). Prints pyinstrument's text report. From the repository root:

    .venv/bin/python bench/profile_login.py [--logins 300] [--port 18598]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from bench import servers  # noqa: E402
from bench.loadclient import TOKEN_RE  # noqa: E402
from bench.login_load import otpauth_env  # noqa: E402


def login(client, index: int, code_for) -> None:  # noqa: ANN001
    """The load client's five steps, through the test client."""
    contact = f"bench-{index}@example.com"
    headers = {
        "X-Forwarded-For": f"10.9.{index >> 8 & 255}.{index & 255}",
        "X-Forwarded-Proto": "https",  # as behind the TLS proxy: CSRF checks the referrer
        "Referer": "https://localhost/otp/",
    }
    token = TOKEN_RE.search(client.get("/otp/request/", headers=headers).data).group(1)
    form = {"channel": "email", "contact": contact, "csrf_token": token.decode()}
    assert client.post("/otp/request/", data=form, headers=headers).status_code == 302
    code = code_for(contact)
    token = TOKEN_RE.search(client.get("/otp/verify/", headers=headers).data).group(1)
    form = {"code": code, "csrf_token": token.decode()}
    assert client.post("/otp/verify/", data=form, headers=headers).status_code == 302
    assert client.get("/dashboard/", headers=headers).status_code == 200


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--logins", type=int, default=300)
    parser.add_argument("--port", type=int, default=18598, help="the private redis-server")
    parser.add_argument("--html", help="also write pyinstrument's HTML report here")
    args = parser.parse_args()
    from pyinstrument import Profiler

    with ExitStack() as stack:
        url = stack.enter_context(servers.private_redis(args.port))
        sink = stack.enter_context(servers.smtp_sink())
        directory = stack.enter_context(tempfile.TemporaryDirectory())
        env = otpauth_env(args, url, sink.port, f"sqlite:///{directory}/p.sqlite")
        servers.prepare_database(env, args.logins + 20)
        os.environ.update(env)
        from wsgi import app

        logging.getLogger("mail.log").setLevel(logging.WARNING)  # the sink's, not the app's

        for index in range(20):  # warm: imports, templates, connections
            login(app.test_client(), index, sink.code_for)
        profiler = Profiler(interval=0.0005)
        profiler.start()
        for index in range(20, 20 + args.logins):
            login(app.test_client(), index, sink.code_for)
        profiler.stop()
    print(profiler.output_text(unicode=True, color=False, show_all=False))
    if args.html:
        Path(args.html).write_text(profiler.output_html())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
