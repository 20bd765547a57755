"""Delivery state shared by every instance: the channel breakers and the hourly budgets.

The only module that knows these Redis keys (TTL in brackets). Every metered channel (SMS,
WhatsApp) has the same budgets on the same code path, each under its own name
(``<channel>`` below: ``sms``, ``whatsapp``):
- ``breaker:{<channel>}`` hash: n (failed sends in a row), open [while open:
  DELIVERY_BREAKER_SECONDS; before: BREAKER_MEMORY_SECONDS from the last failure]
- ``<channel>:{budget}:<hour>`` counter: messages in all this clock hour [HOUR_KEY_TTL]
- ``<channel>:{p:<prefix>}:<hour>`` counter: messages sent (to customers) to one number
  prefix this clock hour [HOUR_KEY_TTL]; ``…:<hour>:asked``: codes asked for through the
  channel for that prefix, customers' and strangers' alike [HOUR_KEY_TTL] (see ``ask`` and
  ``reserve_send``)
- ``sms:{report:<MessageSid>}:<status>``: a provider's status report already audited
  [REPORT_TTL] (Twilio's signatures carry no time: a replayed report must count once)

Cluster safety decides the round trips. A Lua script may only touch keys of one slot, and
the contact's keys (``otp:{c}:…``), the global budget (``{budget}``), a prefix
(``{p:…}``) and a breaker (``{sms}``) hash to four different slots, so they cannot share
one script. Each counter is therefore checked and counted atomically on its own (never past
its limit, however many requests race), and the breaker and global budget of one request
travel together in one pipeline (one round trip; a cluster client sends it to each node in
parallel). A reservation that another check then refuses is handed back (a second round
trip, on refusals only). The contact's issue script follows as the request's second round
trip. An SMS request first counts its prefix (``ask``, one call, before anything else, to
decide whether it needs a proof of work); a send to a customer reserves the prefix's
budget when it goes out (``reserve_send``, off the request).

What every page and send reads but rarely changes (is a breaker open, has it counted
failures, is the SMS budget spent) is read once per ``state_seconds`` per process, one
pipeline, and shared by the request page, the e-mail admission and the send's outcome
(``DELIVERY_STATE_CACHE_SECONDS``, 1 s; 0 reads it every time). So a breaker that opens
elsewhere reaches this process's pages and e-mail sends within a second; a failure
recorded here reaches them at once; and a success only resets a breaker that had counted
failures (no write per sent mail). SMS admission still counts its budgets on every send.
"""

from __future__ import annotations

import time

import redis
from redis.cluster import RedisCluster

from ..signin import channels
from .gate_state import HOUR, Admission, State, Ticket, hour_now, seconds_left_in_hour

SMS = channels.detect("0")  # the channel whose keys kept their names: sms:{budget}:<hour>
HOUR_KEY_TTL = HOUR + 60  # the key names its hour: a little slack past the hour is harmless
BREAKER_MEMORY_SECONDS = 3600  # failures older than this are not "in a row" with new ones
REPORT_TTL = 7 * 86400  # Twilio retries a status callback for hours, never for days

# Count one more unless the counter is at its limit: answer the new count, or -1.
_RESERVE = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return -1 end
n = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return n
"""

# Count one more; the new count (the key expires with its hour).
_COUNT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return n
"""

# ARGV: 'ok' or 'fail', failures that open, seconds open, memory. Answer 1 if it opened now.
_RECORD = """
local key = KEYS[1]
if redis.call('HEXISTS', key, 'open') == 1 then return 0 end
if ARGV[1] == 'ok' then redis.call('DEL', key) return 0 end
local n = redis.call('HINCRBY', key, 'n', 1)
if n >= tonumber(ARGV[2]) then
  redis.call('HSET', key, 'open', '1')
  redis.call('EXPIRE', key, ARGV[3])
  return 1
end
redis.call('EXPIRE', key, ARGV[4])
return 0
"""


class Gates:
    """Breakers and SMS budgets on ``client``; each call is one round trip (see above)."""

    def __init__(
        self, client: redis.Redis, *, failures: int, open_seconds: int, state_seconds: float = 0.0
    ) -> None:
        self.redis = client
        self.failures = failures
        self.open_seconds = open_seconds
        self.state_seconds = state_seconds
        self._state: State | None = None
        self._reserve = client.register_script(_RESERVE)
        self._reserve_sha = self._reserve.sha  # loaded on first use
        self._record = client.register_script(_RECORD)
        self._count = client.register_script(_COUNT)

    @staticmethod
    def breaker_key(channel: str) -> str:
        return f"breaker:{{{channel}}}"

    @staticmethod
    def budget_key(hour: int, channel: str = SMS) -> str:
        return f"{channel}:{{budget}}:{hour}"

    @staticmethod
    def prefix_key(prefix: str, hour: int, channel: str = SMS) -> str:
        return f"{channel}:{{p:{prefix}}}:{hour}"

    def admit(self, channel: str, *, per_hour: int) -> Ticket:
        """Check the breaker and, for a metered channel, count its global budget."""
        hour = hour_now()
        if not channels.get(channel).metered and self.state_seconds > 0:
            if self.state().open.get(channel):
                return Ticket(Admission.BREAKER_OPEN, (), seconds_left_in_hour())
            return Ticket(Admission.OK)
        metered = channels.get(channel).metered
        keys = [(self.budget_key(hour, channel), per_hour)] if metered else []
        is_open, *counts = self._checks(self.breaker_key(channel), keys)
        counted = tuple(key for (key, _), n in zip(keys, counts, strict=True) if int(n) >= 0)
        admission = Admission.OK
        if is_open:
            admission = Admission.BREAKER_OPEN
        elif counts and int(counts[0]) < 0:
            admission = Admission.BUDGET_SPENT
        if admission is not Admission.OK:
            self.give_back(counted)
            return Ticket(admission, (), seconds_left_in_hour())
        return Ticket(admission, counted)

    def ask(self, prefix: str, per_prefix: int, channel: str = SMS) -> bool:
        """Count a code asked for through ``channel`` for ``prefix``; whether it is over the
        budget.

        Counted for everyone, customer or not, in one atomic call, so the answer depends on
        how many asked, never on who: beyond ``per_prefix`` an hour the prefix is under
        attack and its requests need a proof of work (never a refusal: issue 19, finding 5).
        """
        key = f"{self.prefix_key(prefix, hour_now(), channel)}:asked"
        return int(self._count(keys=[key], args=[HOUR_KEY_TTL])) > per_prefix

    def reserve_send(self, prefix: str, per_prefix: int, channel: str = SMS) -> bool:
        """Count a message about to go to a customer in ``prefix``, unless its budget is
        spent.

        Only sends count (strangers are never sent anything), so requests for numbers that
        are nobody's cannot spend a prefix's budget and lock its customers out.
        """
        key = self.prefix_key(prefix, hour_now(), channel)
        return int(self._reserve(keys=[key], args=[per_prefix, HOUR_KEY_TTL])) >= 0

    def _checks(self, breaker: str, keys: list[tuple[str, int]]) -> list:
        """One pipeline: the breaker's state, then each counter's reservation.

        EVALSHA by hand: redis-py's Script objects would add a SCRIPT EXISTS round trip to
        every pipeline. After a SCRIPT FLUSH or a failover the script is loaded again once.
        On a Redis Cluster the keys live on different nodes and redis-py's cluster pipeline
        refuses EVALSHA, so each check is its own call there.
        """
        if isinstance(self.redis, RedisCluster):
            reservations = [self._reserve(keys=[key], args=[n, HOUR_KEY_TTL]) for key, n in keys]
            return [self.redis.hexists(breaker, "open"), *reservations]
        for attempt in (1, 2):
            pipe = self.redis.pipeline(transaction=False)
            pipe.hexists(breaker, "open")
            for key, limit in keys:
                pipe.evalsha(self._reserve_sha, 1, key, limit, HOUR_KEY_TTL)
            try:
                return pipe.execute()
            except redis.exceptions.NoScriptError:
                if attempt == 2:
                    raise
                self._reserve_sha = self.redis.script_load(_RESERVE)
        raise AssertionError("unreachable")

    def give_back(self, counted: tuple[str, ...]) -> None:
        """Uncount a reservation whose send was refused after all."""
        if not counted:
            return
        pipe = self.redis.pipeline(transaction=False)
        for key in counted:
            pipe.decr(key)
        pipe.execute()

    def record(self, channel: str, ok: bool) -> bool:
        """Count a send's outcome for ``channel``'s breaker; True if this failure opened it."""
        if ok and self.state_seconds > 0:
            state = self.state()
            if not (state.failing.get(channel) or state.open.get(channel)):
                return False  # nothing counted to reset (as of the last read)
        args = ["ok" if ok else "fail", self.failures, self.open_seconds, BREAKER_MEMORY_SECONDS]
        opened = bool(self._record(keys=[self.breaker_key(channel)], args=args))
        self._state = None  # what this process just wrote counts from its next read
        return opened

    def state(self) -> State:
        """The breakers and this hour's budget counts: read at most once per
        ``state_seconds``."""
        state, now, hour = self._state, time.monotonic(), hour_now()
        if state is not None and now - state.read_at < self.state_seconds and state.hour == hour:
            return state
        names = [c.name for c in channels.sending()]
        metered = [c.name for c in channels.sending() if c.metered]
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.hmget(self.breaker_key(name), "open", "n")
        for name in metered:
            pipe.get(self.budget_key(hour, name))
        answers = pipe.execute()
        breakers, spent = answers[: len(names)], answers[len(names) :]
        state = State(
            read_at=now,
            hour=hour,
            open={name: bool(opened) for name, (opened, _) in zip(names, breakers, strict=True)},
            failing={name: bool(n) for name, (_, n) in zip(names, breakers, strict=True)},
            spent={name: int(n or 0) for name, n in zip(metered, spent, strict=True)},
        )
        self._state = state
        return state

    def unavailable(self, per_hour: dict[str, int]) -> set[str]:
        """The channels nobody can use right now (breaker open, or hourly budget spent);
        ``per_hour``: each metered channel's budget."""
        state = self.state()
        spent = {name for name, n in state.spent.items() if n >= per_hour.get(name, n + 1)}
        return {name for name, opened in state.open.items() if opened} | spent

    def sms_this_hour(self) -> int:
        """SMS counted so far this clock hour (customers and strangers alike)."""
        return self.sent_this_hour(SMS)

    def sent_this_hour(self, channel: str) -> int:
        """Messages of ``channel`` counted so far this clock hour."""
        return int(self.redis.get(self.budget_key(hour_now(), channel)) or 0)

    def first_report(self, message_id: str, status: str) -> bool:
        """Whether this status of this message is reported for the first time (one SET NX)."""
        key = f"sms:{{report:{message_id[:64]}}}:{status[:32]}"
        return bool(self.redis.set(key, "1", nx=True, ex=REPORT_TTL))

    def breakers_open(self) -> dict[str, bool]:
        """Whether each channel's breaker is open (for /metrics)."""
        names = [c.name for c in channels.sending()]
        pipe = self.redis.pipeline(transaction=False)
        for name in names:
            pipe.hexists(self.breaker_key(name), "open")
        return dict(zip(names, map(bool, pipe.execute()), strict=True))
