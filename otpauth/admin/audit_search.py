"""Audit search: the console's filters turned into one query (shared by the page and CSV)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import Select, select

from .. import channels
from ..audit import EVENTS
from ..contacts import InvalidContact, normalize
from ..extensions import db
from ..models import AuthEvent, Staff
from ..otp import hasher
from ..timefmt import display_time, display_zone

CSV_LIMIT = 100_000


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
    except ValueError:
        raise FilterError(f"{name}: use an ISO date such as 2026-11-28") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=display_zone())
    return moment.astimezone(UTC)


def parse(args: Mapping[str, str], region: str) -> AuditFilters:
    """Check the query arguments; raises FilterError naming the first bad one."""
    get = {k: (args.get(k) or "").strip() for k in ("customer", "event", "channel", "ip")}
    customer = None
    if get["customer"]:
        if not get["customer"].isdigit() or len(get["customer"]) > 9:
            raise FilterError("customer: give a customer number")
        customer = int(get["customer"])
    if get["event"] and get["event"] not in EVENTS:
        raise FilterError("event: not an event name")
    contact_hash = None
    raw_contact = (args.get("contact") or "").strip()
    if raw_contact:
        channel = get["channel"] or channels.detect(raw_contact)
        try:
            contact_hash = hasher().tag(channel, normalize(channel, raw_contact, region))
        except InvalidContact as exc:
            raise FilterError(f"contact: {exc}") from None
    since, until = (args.get("since") or "").strip(), (args.get("until") or "").strip()
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
        writer.writerow(
            [
                display_time(e.at, "%Y-%m-%dT%H:%M:%S%z"),
                e.event,
                e.customer_id or "",
                e.channel or "",
                e.contact_hash or "",
                e.ip or "",
                e.staff_id or "",
                e.reason or "",
            ]
        )
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
