"""What the delivery gates answer and remember: admissions, tickets, the state they read.

``gates.Gates`` alone knows the Redis keys; these are the values it hands out, and the
clock hours its SMS budgets count in.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import Enum

HOUR = 3600


class Admission(Enum):
    """Whether a send may go ahead, as far as the channel-wide limits are concerned."""

    OK = "ok"
    BREAKER_OPEN = "breaker_open"  # the provider keeps failing: 503 for everyone
    BUDGET_SPENT = "budget_spent"  # the channel's hourly budget reached: 503 for everyone


@dataclass(frozen=True)
class Ticket:
    """An admission and what it counted (to hand back if the send is refused later)."""

    admission: Admission
    counted: tuple[str, ...] = ()
    retry_after: int = 0


def hour_now(now: float | None = None) -> int:
    """The clock hour (hours since the epoch)."""
    return int((time.time() if now is None else now) // HOUR)


def seconds_left_in_hour(now: float | None = None) -> int:
    """Seconds until the current clock hour ends (at least 1)."""
    now = time.time() if now is None else now
    return max(int(HOUR - now % HOUR), 1)


@dataclass(frozen=True)
class State:
    """What was read of the breakers and the SMS budget, and when (monotonic seconds)."""

    read_at: float
    hour: int
    open: dict[str, bool]
    failing: dict[str, bool]  # failures counted, breaker not (yet) open
    spent: dict[str, int]  # metered channel -> messages counted this hour
