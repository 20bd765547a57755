"""Customers in and out as CSV: ``name,email,phone,type[,active]``, UTF-8 with or without BOM.

An import validates every row like ``customers create``, checks the file against itself and
the database in a few queries, then inserts in batches (one transaction per batch): 10,000
rows take seconds, not the hours of 10,000 single inserts.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import insert, select

from ..platform.csv_cells import guarded, unguarded
from ..platform.extensions import db
from . import audit
from .customers import CustomerData, CustomerError, validate
from .models import Customer

HEADER = ("name", "email", "phone", "type")
BATCH = 1000
MAX_ROWS = 200_000  # a file this long is a mistake, not a customer list


@dataclass
class ImportReport:
    """What an import did: rows imported, and each rejected row with its reason and values."""

    imported: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)
    error: str | None = None  # the file itself is unusable (no rows were read)
    values: dict[int, list[str]] = field(default_factory=dict)  # a rejected line's cells

    def reject(self, line: int, reason: str, values: list[str]) -> None:
        """Note a rejected row: its line number, why, and its cells as read."""
        self.rejected.append((line, reason))
        self.values[line] = values

    @property
    def lines(self) -> list[str]:
        """``line N: reason`` per rejected row (line 1 is the header)."""
        return [f"line {n}: {reason}" for n, reason in self.rejected]

    def rejects_csv(self) -> str:
        """The rejected rows as a CSV to fix and import again (header, cells guarded)."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow([*HEADER, "active"])
        for line, _reason in self.rejected:
            cells = self.values.get(line, [])
            writer.writerow([guarded(v) for v in cells + [""] * (len(HEADER) + 1 - len(cells))])
        return buffer.getvalue()

    @property
    def summary(self) -> str:
        if self.error:
            return f"nothing imported: {self.error}"
        return f"{self.imported} imported, {len(self.rejected)} rejected"


def _active(raw: str | None) -> bool:
    value = (raw or "").strip().lower()
    if value in ("", "true"):
        return True
    if value == "false":
        return False
    raise CustomerError("active", "must be true or false")


def read_rows(text: str, region: str) -> tuple[list[tuple[int, CustomerData]], ImportReport]:
    """Valid rows with their line numbers, and a report holding the rejected ones."""
    report = ImportReport()
    # newline="": the csv module sees the file's own line ends (a bare CR ends a line).
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    try:
        header = [h.strip().lower() for h in next(reader, [])]
        if tuple(header[:4]) != HEADER or header[4:] not in ([], ["active"]):
            report.error = "the header must be name,email,phone,type (and optionally active)"
            return [], report
        return _valid_rows(reader, header, region, report), report
    except csv.Error:  # e.g. a field past the csv module's size limit
        report.error = f"line {reader.line_num} is not valid CSV"
        return [], report


def _valid_rows(
    reader: Iterator[list[str]], header: list[str], region: str, report: ImportReport
) -> list[tuple[int, CustomerData]]:
    rows, seen = [], {}
    for values in reader:
        line = reader.line_num  # type: ignore[attr-defined]
        if not any(v.strip() for v in values):
            continue  # a blank line is no customer
        cells = [unguarded(v) for v in values]
        if len(values) != len(header) or line > MAX_ROWS:
            report.reject(line, f"expected {len(header)} fields, got {len(values)}", cells)
            continue
        row = dict(zip(header, cells, strict=True))
        try:
            data = validate(row["name"], row["email"], row["phone"], row["type"], region)
            data = CustomerData(**{**data.as_row(), "active": _active(row.get("active"))})
        except CustomerError as exc:
            report.reject(line, str(exc), cells)
            continue
        twin = next((seen[c] for c in (data.email, data.phone) if c and c in seen), None)
        if twin is not None:
            report.reject(line, f"same e-mail or phone as line {twin}", cells)
            continue
        seen.update({c: line for c in (data.email, data.phone) if c})
        rows.append((line, data))
    return rows


def _existing(rows: list[tuple[int, CustomerData]]) -> set[str]:
    """The e-mails and phones of ``rows`` already on file, in a few IN queries."""
    taken: set[str] = set()
    for column, attr in ((Customer.email, "email"), (Customer.phone, "phone")):
        values = [getattr(d, attr) for _, d in rows if getattr(d, attr)]
        for start in range(0, len(values), BATCH):
            chunk = values[start : start + BATCH]
            taken.update(db.session.scalars(select(column).where(column.in_(chunk))))
    return taken


def import_customers(
    text: str,
    region: str,
    *,
    all_or_nothing: bool = False,
    staff_id: int | None = None,
    progress: Callable[[int], None] = lambda n: None,
) -> ImportReport:
    """Import the valid rows of a CSV text; see the module docstring."""
    rows, report = read_rows(text, region)
    taken = _existing(rows)
    fresh = []
    for line, data in rows:
        if data.email in taken or data.phone in taken:
            cells = [data.name, data.email or "", data.phone or "", data.customer_type]
            cells.append("true" if data.active else "false")
            report.reject(line, "a customer with this e-mail or phone already exists", cells)
        else:
            fresh.append(data.as_row())
    report.rejected.sort()
    if report.error or (all_or_nothing and report.rejected):
        return report
    for start in range(0, len(fresh), BATCH):
        batch = fresh[start : start + BATCH]
        db.session.execute(insert(Customer), batch)
        if not all_or_nothing:
            db.session.commit()  # one transaction per batch: a late failure keeps the rest
        report.imported += len(batch)
        progress(len(batch))
    db.session.commit()
    if report.imported:
        audit.record("customers_imported", staff_id=staff_id)
    return report


def export_rows(customers: Iterable[Customer]) -> Iterator[str]:
    """The CSV text of ``customers``, line by line (header first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*HEADER, "active"])
    for c in customers:
        row = (c.name, c.email, c.phone, c.customer_type, "true" if c.active else "false")
        writer.writerow([guarded(v) for v in row])
        yield buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
    yield buffer.getvalue()
