"""Solve the request page's ALTCHA challenge in a real browser under the site's CSP.

Not a test (it needs a Chromium): it proves the vendored widget and worker run with the
CSP unchanged, and times one proof at the production cost. Run from the repository root:

    .venv/bin/python bench/challenge_browser.py [/usr/bin/chromium]
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time

from playwright.sync_api import sync_playwright

PORT = 18020
SOLVED = "() => { const i = document.querySelector('input[name=altcha]'); return i && i.value; }"


def main(browser_path: str) -> None:
    """Start the app with CHALLENGE_MODE=always, solve, submit, report console messages."""
    db = os.path.join(tempfile.mkdtemp(), "bench.sqlite")
    env = dict(os.environ, OTPAUTH_ENV="testing", CHALLENGE_MODE="always")
    env.update(DATABASE_URL=f"sqlite:///{db}", RATELIMIT_ENABLED="false")
    flask = [os.path.join(os.path.dirname(sys.executable), "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], env=env, check=True, capture_output=True)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    server = subprocess.Popen([*flask, "run", "-p", str(PORT)], env=env, **quiet)
    try:
        for _ in range(50):
            try:
                socket.create_connection(("127.0.0.1", PORT), 1).close()
                break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
            page = browser.new_page()
            console: list[str] = []
            page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
            page.on("pageerror", lambda e: console.append(f"pageerror: {e}"))
            page.goto(f"http://127.0.0.1:{PORT}/otp/request/")
            page.fill("input[name=contact]", "nobody@example.com")
            start = time.perf_counter()
            page.locator("altcha-widget input[type=checkbox]").click(force=True)
            page.wait_for_function(SOLVED, timeout=60000)
            print(f"solved in {time.perf_counter() - start:.2f} s")
            page.click("button[type=submit]")
            page.wait_for_load_state()
            print("after submit:", page.url)
            print("console:", console or "nothing (no CSP violation)")
            browser.close()
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "/usr/bin/chromium")
