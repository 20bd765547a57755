"""Log helpers: what a log line may say about an exception."""

from __future__ import annotations

import traceback


def scrubbed_traceback(exc: BaseException) -> str:
    """Where ``exc`` came from, by type and frames only.

    Exception messages can carry a contact (a SQL statement's parameters, a KeyError's key),
    so none is logged: the frames are enough to find the bug.
    """
    lines = []
    for link in _chain(exc):
        frames = traceback.extract_tb(link.__traceback__)
        where = " <- ".join(f"{f.name} ({f.filename}:{f.lineno})" for f in reversed(frames))
        lines.append(f"{type(link).__module__}.{type(link).__qualname__} at {where or '?'}")
    return "message withheld: " + "; caused by ".join(lines)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    link: BaseException | None = exc
    while link is not None and link not in seen and len(seen) < 5:
        seen.append(link)
        link = link.__cause__ or link.__context__
    return seen
