"""Count what the app sends to Redis: round trips (writes on a connection) and commands."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from redis.connection import AbstractConnection


@contextmanager
def round_trips() -> Iterator[list]:
    """Every packed write to any Redis connection (fakeredis too) while the block runs.

    One command, or one whole pipeline, is one write followed by its replies: one round trip.
    """
    writes: list = []
    original = AbstractConnection.send_packed_command

    def spy(self, command, check_health=True):  # noqa: ANN001, ANN202
        writes.append(command)
        return original(self, command, check_health)

    AbstractConnection.send_packed_command = spy  # type: ignore[method-assign]
    try:
        yield writes
    finally:
        AbstractConnection.send_packed_command = original  # type: ignore[method-assign]


def command_names(write) -> list[str]:  # noqa: ANN001
    """The command names in one packed write (RESP arrays), e.g. ['EVALSHA', 'INCR']."""
    data = b"".join(part if isinstance(part, bytes) else bytes(part) for part in write)
    names, lines, i = [], data.split(b"\r\n"), 0
    while i < len(lines):
        if lines[i].startswith(b"*") and i + 2 < len(lines):
            names.append(lines[i + 2].decode().upper())
            i += 1 + 2 * int(lines[i][1:])
        else:
            i += 1
    return names
