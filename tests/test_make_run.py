"""`make run` serves on the port asked for: `make run PORT=5600`, `PORT=5600 make run` or
`FLASK_RUN_PORT` (as `flask run` reads it), else 5000. Checked with `make -n` (print the
commands, run nothing), so no server starts and no port is taken."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def serve_line(*args: str, **environ: str) -> str:
    """The `flask run` line `make -n run` would execute."""
    env = {k: v for k, v in os.environ.items() if k not in ("PORT", "FLASK_RUN_PORT")}
    env.update(environ)
    done = subprocess.run(
        ["make", "-n", "-s", "run", "VENV=/nonexistent-venv", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    )
    lines = [line for line in done.stdout.splitlines() if " run --port " in line]
    assert len(lines) == 1, done.stdout
    return lines[0].strip()


def test_run_serves_on_5000_by_default():
    assert serve_line().endswith("flask --app wsgi run --port 5000")


def test_port_on_the_command_line_or_in_the_environment():
    assert serve_line("PORT=5600").endswith("run --port 5600")
    assert serve_line(PORT="5601").endswith("run --port 5601")


def test_flask_run_port_is_honoured_and_port_wins_over_it():
    assert serve_line(FLASK_RUN_PORT="5602").endswith("run --port 5602")
    assert serve_line("PORT=5603", FLASK_RUN_PORT="5602").endswith("run --port 5603")
