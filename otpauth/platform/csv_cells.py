"""CSV cells a spreadsheet will not run (CSV or formula injection), and back.

A cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is a formula to
Excel, LibreOffice and Google Sheets; a leading ``'`` makes it text (and is not shown).
Every CSV this app writes guards every cell with ``guarded``; the customer import undoes
it with ``unguarded``, so an export imports back unchanged. A cell that itself starts with
``'`` is guarded too, so that undoing is never ambiguous.
"""

from __future__ import annotations

TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "'")


def guarded(value: object) -> str:
    """``value`` as a CSV cell that no spreadsheet evaluates."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(TRIGGERS) else text


def unguarded(cell: str) -> str:
    """The value ``guarded`` wrote as ``cell`` (a cell it did not guard comes back as is)."""
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(TRIGGERS) else cell
