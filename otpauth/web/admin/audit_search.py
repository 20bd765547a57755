"""Audit search: the console's filters turned into one query (shared by the page and CSV)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, select

from ...platform.csv_cells import guarded
from ...platform.extensions import db
from ...platform.timefmt import display_time, display_zone
from ...signin import channels
from ...signin.audit import EVENTS
from ...signin.channels import normalize
from ...signin.contacts import InvalidContact
from ...signin.models import AuthEvent, Staff
from ...signin.otp import hasher

CSV_LIMIT = 100_000
MAX_ID = 2**31 - 1  # the largest id an SQL integer column holds
YEARS = range(2000, 3000)  # dates a search can mean (and that stay dates in every zone)
FILTERS = ("customer", "event", "channel", "ip", "contact", "since", "until")


class FilterError(ValueError):
    """A filter value that cannot be used; the message says which and why."""


@dataclass(frozen=True)
class AuditFilters:
    """The parsed filters; None means "any"."""

    customer: int | None = None
    event: str | None = None
    channel: str | None = None
    ip: str | None = None
    contact_hash: str | None = None
    since: datetime | None = None
    until: datetime | None = None


def _moment(raw: str, name: str, end: bool) -> datetime:
    """An ISO date or date-time in the display zone; a bare ``until`` date includes its day."""
    try:
        if len(raw) <= 10:
            day = date.fromisoformat(raw)
            moment = datetime.combine(day + timedelta(days=1 if end else 0), time())
        else:
            moment = datetime.fromisoformat(raw)
    except (ValueError, OverflowError):
        raise FilterError(f"{name}: use an ISO date such as 2026-11-28") from None
    if moment.year not in YEARS:
        raise FilterError(f"{name}: give a date from {YEARS[0]} to {YEARS[-1]}")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=display_zone())
    return moment.astimezone(UTC)


def row_id(raw: str) -> int | None:
    """``raw`` as a database id: ASCII digits within the SQL integer range, else None."""
    if not (raw.isascii() and raw.isdigit()) or len(raw) > 10 or int(raw) > MAX_ID:
        return None
    return int(raw)


def parse(args: Mapping[str, str], region: str) -> AuditFilters:
    """Check the query arguments; raises FilterError naming the first bad one."""
    get = {k: (args.get(k) or "").strip() for k in FILTERS}
    for name, value in get.items():
        if not value.isprintable():  # NUL, control characters: no column holds them
            raise FilterError(f"{name}: remove the control characters")
    customer = None
    if get["customer"]:
        customer = row_id(get["customer"])
        if customer is None:
            raise FilterError("customer: give a customer number")
    if get["event"] and get["event"] not in EVENTS:
        raise FilterError("event: not an event name")
    contact_hash = None
    raw_contact = get["contact"]
    if raw_contact:
        channel = get["channel"] or channels.detect(raw_contact)
        try:
            contact_hash = hasher().tag(channel, normalize(channel, raw_contact, region))
        except InvalidContact as exc:
            raise FilterError(f"contact: {exc}") from None
    since, until = get["since"], get["until"]
    return AuditFilters(
        customer=customer,
        event=get["event"] or None,
        channel=get["channel"][:8] or None,
        ip=get["ip"][:45] or None,
        contact_hash=contact_hash,
        since=_moment(since, "since", False) if since else None,
        until=_moment(until, "until", True) if until else None,
    )


def query(f: AuditFilters) -> Select:
    """The matching events, newest first."""
    q = select(AuthEvent).order_by(AuthEvent.at.desc(), AuthEvent.id.desc())
    for column, value in (
        (AuthEvent.customer_id, f.customer),
        (AuthEvent.event, f.event),
        (AuthEvent.channel, f.channel),
        (AuthEvent.ip, f.ip),
        (AuthEvent.contact_hash, f.contact_hash),
    ):
        if value is not None:
            q = q.where(column == value)
    if f.since is not None:
        q = q.where(AuthEvent.at >= f.since)
    if f.until is not None:
        q = q.where(AuthEvent.at < f.until)
    return q


def staff_names(events: Iterable[Any]) -> dict[int, str]:
    """The names of the staff members who acted in ``events``, by id (one query)."""
    ids = {e.staff_id for e in events if e.staff_id}
    if not ids:
        return {}
    rows = db.session.execute(select(Staff.id, Staff.name).where(Staff.id.in_(ids)))
    return {staff_id: name for staff_id, name in rows}


def as_rows(q: Select) -> Select:
    """``q`` reading only the columns the CSV shows, at most CSV_LIMIT rows."""
    columns = (AuthEvent.at, AuthEvent.event, AuthEvent.customer_id, AuthEvent.channel)
    columns += (AuthEvent.contact_hash, AuthEvent.ip, AuthEvent.staff_id, AuthEvent.reason)
    return q.with_only_columns(*columns).limit(CSV_LIMIT)


CSV_HEADER = ("at", "event", "customer", "channel", "contact_hash", "ip", "staff", "reason")


def csv_lines(events: Iterable[Any]) -> Iterator[str]:
    """The events as CSV, times in the display zone."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for e in events:
        at = display_time(e.at, "%Y-%m-%dT%H:%M:%S%z")
        row = (at, e.event, e.customer_id, e.channel, e.contact_hash, e.ip, e.staff_id, e.reason)
        writer.writerow([guarded(v) for v in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
