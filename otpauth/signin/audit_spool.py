"""The audit spool: each process's events, one JSON line each, in a file of its own.

A request's events are appended with one ``os.write`` on an ``O_APPEND`` descriptor before
its response leaves: from then on they are in the kernel's page cache, and a SIGKILL of
the process cannot take them back (a power cut can: the file is not synced per event).
The writer thread copies the lines to SQL and, after each commit, stores how far it got
in the file's fixed-width header. A process holds an exclusive ``flock`` on its file as
long as it lives; a file whose lock can be taken belongs to a dead process, and any
process may adopt it: write what is past the header's offset, then delete it.

Why a file and not a Redis stream: a Redis here may restart empty (the queue's own
failure mode, issue 20), and a stream costs a round trip per request; the spool is
local, costs one system call, and survives everything but the machine.

The one duplicate a crash can leave (a batch committed, the process killed before the
header said so) is caught at adoption: the first batch past the offset is compared with
the rows already in SQL (``audit_writer.unwritten``).
"""

from __future__ import annotations

import fcntl
import json
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

HEADER = 21  # "%020d\n": the offset of the first line not yet in SQL
SUFFIX = ".jsonl"


def encode(rows: list[dict[str, Any]]) -> bytes:
    """The rows as JSON lines (``at`` in ISO 8601)."""
    return b"".join(
        json.dumps({**row, "at": row["at"].isoformat()}, separators=(",", ":")).encode() + b"\n"
        for row in rows
    )


def decode(line: bytes) -> dict[str, Any]:
    row = json.loads(line)
    row["at"] = datetime.fromisoformat(row["at"])
    return row


@dataclass
class Chunk:
    """Whole lines read from a spool file, and the offset just past them."""

    rows: list[dict[str, Any]]
    end: int


class SpoolFile:
    """One spool file, locked by this process: appended to, read, and marked as written."""

    def __init__(self, path: str, fd: int) -> None:
        # ``fd`` appends and holds the lock; ``rw`` rewrites the header (on Linux a
        # ``pwrite`` on an O_APPEND descriptor appends instead).
        self.path, self.fd, self.rw = path, fd, os.open(path, os.O_RDWR)
        self.done = int(os.pread(fd, HEADER, 0) or b"0") or HEADER

    @classmethod
    def create(cls, directory: str) -> SpoolFile:
        """A new file of this process, locked before other processes can see its name."""
        os.makedirs(directory, mode=0o700, exist_ok=True)
        name = f"{os.getpid()}-{secrets.token_hex(4)}"
        draft = os.path.join(directory, f".{name}.new")
        fd = os.open(draft, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_APPEND, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.write(fd, b"%020d\n" % HEADER)
        path = os.path.join(directory, name + SUFFIX)
        os.rename(draft, path)
        return cls(path, fd)

    @classmethod
    def adopt(cls, path: str) -> SpoolFile | None:
        """The file of a dead process, locked for this one; None while its owner (or another
        adopter) holds it, or once it is gone."""
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            if os.fstat(fd).st_nlink == 0:  # adopted, written and deleted meanwhile
                raise BlockingIOError
        except BlockingIOError:
            os.close(fd)
            return None
        return cls(path, fd)

    def append(self, rows: list[dict[str, Any]]) -> None:
        """One write: every row of the call, or (killed before it) none."""
        os.write(self.fd, encode(rows))

    def read(self, limit: int) -> Chunk:
        """Up to ``limit`` whole lines past the written offset (a torn last line waits)."""
        data = os.pread(self.fd, 1 << 20, self.done)
        lines = data.split(b"\n")[:-1][:limit]  # the part after the last newline is not whole
        rows: list[dict[str, Any]] = []
        for line in lines:
            try:
                rows.append(decode(line))
            except (ValueError, KeyError):  # not a line this code wrote: skipped, not fatal
                continue
        return Chunk(rows, self.done + sum(len(line) + 1 for line in lines))

    def mark(self, end: int) -> None:
        """Record that the lines before ``end`` are in SQL (after the commit)."""
        os.pwrite(self.rw, b"%020d" % end, 0)
        self.done = end

    def size(self) -> int:
        return os.fstat(self.fd).st_size

    def remove(self) -> None:
        """Delete the file (all of it written), then let go of its lock."""
        try:
            os.unlink(self.path)
        except FileNotFoundError:  # its directory was removed (a test's temporary one)
            pass
        self.close()

    def close(self) -> None:
        os.close(self.rw)
        os.close(self.fd)


def dead_files(directory: str, own: str | None) -> Iterator[str]:
    """The spool files in ``directory`` other than ``own``, oldest name first."""
    try:
        names = sorted(os.listdir(directory))
    except FileNotFoundError:
        return
    for name in names:
        path = os.path.join(directory, name)
        if name.endswith(SUFFIX) and path != own:
            yield path
