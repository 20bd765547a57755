"""``flask --app wsgi sms check``: each language's SMS, its encoding, segments and DLT match."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from ..delivery.sms_check import checked

sms_cli = AppGroup("sms", help="SMS text for India: encoding, segments, DLT template.")


@sms_cli.command("check")
def check_command() -> None:
    """Print each language's SMS, its encoding, segments and DLT template match."""
    results = checked(current_app)
    for result in results:
        s = result.segments
        if result.match is None:
            verdict = "no SMS_DLT_TEMPLATE set"
        else:
            verdict = "matches" if result.match.ok else f"DOES NOT MATCH: {result.match.problem}"
        click.echo(
            f"[{result.language}] {s.encoding.value}, {s.length} units, "
            f"{s.count} segment{'s' if s.count != 1 else ''}; template: {verdict}"
        )
        for line in result.text.splitlines():
            click.echo(f"    {line}")
    if any(r.match is not None and not r.match.ok for r in results):
        raise SystemExit(1)
