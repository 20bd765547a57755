"""OtpStore: the only module that knows Redis key names and scripts.

Every check-and-count is one Lua script, so it is atomic on the server: parallel requests
can never guess more than the limit or use one code twice. All keys of one contact share
the hash tag ``{c}`` (``c`` = keyed hash of channel and contact), so each script touches one
Redis Cluster slot, and every key is written with a TTL.

Keys (TTL in brackets):
- ``otp:{c}:code``  hash: h (code hash), n (attempts used), cid, iat, id, via (the channel
  carrying it), lang (the language it was asked in), dl (its provider reported it
  delivered) [OTP_TTL_SECONDS]
- ``otp:{c}:sends`` counter: sends in the window [OTP_REQUEST_WINDOW_SECONDS from the first]
- ``otp:{c}:cool``  flag: present while a resend must wait [OTP_RESEND_COOLDOWN_SECONDS]
- ``otp:{c}:fails`` counter: wrong guesses across codes [one day from the first]
- ``otp:{c}:cid``   customer id ('' if none), so a resend knows where to send [window]
- ``otp:{c}:step``  the last accepted authenticator time step, so no code works twice
  [STEP_TTL_SECONDS: longer than any accepted step stays acceptable]
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, Literal, Protocol

import redis
from redis.client import Pipeline
from redis.cluster import RedisCluster
from redis.commands.core import Script
from redis.exceptions import NoScriptError

from .lua import DELIVERED, FALL_BACK, ISSUE, VERIFY, VERIFY_TOTP

FAILURE_WINDOW_SECONDS = 86400
KEEP_CUSTOMER = "?"  # issue(): reuse the customer id of the pending request (resend)

# Steps stay acceptable for (DRIFT + 1) intervals; remember the last one well past that.
STEP_TTL_SECONDS = 300


class AttemptMeter(Protocol):
    """Counts attempts across all contacts (otpauth.signin.challenge.AttackMeter)."""

    def queue_count(self, pipe: Pipeline) -> None: ...


IssueStatus = Literal["issued", "cooldown", "limited", "locked", "gone"]
VerifyStatus = Literal["ok", "invalid", "expired", "locked"]


@dataclass(frozen=True)
class Limits:
    """The per-contact limits, from the OTP_* settings."""

    ttl: int
    max_attempts: int
    cooldown: int
    max_requests: int
    window: int
    max_failures_per_day: int


@dataclass(frozen=True)
class IssueResult:
    """``issued`` (with ``customer_id``, '' for none) or a refusal with ``retry_after``."""

    status: IssueStatus
    retry_after: int = 0
    customer_id: str = ""

    @property
    def issued(self) -> bool:
        return self.status == "issued"


@dataclass(frozen=True)
class Pending:
    """What the verify page shows about a live code."""

    attempts_left: int
    expires_in: int


@dataclass(frozen=True)
class VerifyResult:
    """``ok``, ``invalid`` (with ``attempts_left``), ``expired`` or ``locked``.

    ``customer_id`` is the pending request's customer ('' for an unknown contact).
    """

    status: VerifyStatus
    attempts_left: int = 0
    customer_id: str = ""
    expires_in: int = 0  # seconds the code has left, for ``invalid``
    resend_in: int = 0  # seconds the resend cooldown has left, for a refusal

    @property
    def live(self) -> Pending | None:
        """What the verify page shows after this answer (None: the code no longer works)."""
        if self.status != "invalid":
            return None
        return Pending(self.attempts_left, self.expires_in)


def _text(value: bytes | str | int | None) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode()
    return str(value)


@dataclass(frozen=True)
class FellBack:
    """A pending request moved to its fallback channel: whose it is, its language, and the
    seconds its code has left."""

    customer_id: str
    lang: str
    ttl: int


class OtpStore:
    """Issues and verifies codes for contact tags; each call is one Redis round trip."""

    def __init__(self, client: redis.Redis, limits: Limits) -> None:
        self.redis = client
        self.limits = limits
        # Set by otpauth.signin.challenge: counts every send and guess across all contacts.
        self.meter: AttemptMeter | None = None
        self._issue = client.register_script(ISSUE)
        self._verify = client.register_script(VERIFY)
        self._verify_totp = client.register_script(VERIFY_TOTP)
        self._fall_back = client.register_script(FALL_BACK)
        self._delivered = client.register_script(DELIVERED)

    @staticmethod
    def keys(tag: str) -> dict[str, str]:
        """The keys of one contact, all in the slot of hash tag ``{tag}``."""
        return {part: f"otp:{{{tag}}}:{part}" for part in ("code", "sends", "cool", "fails", "cid")}

    def issue(
        self,
        tag: str,
        code_hash: str,
        decoy: str,
        customer_id: str,
        code_id: str = "",
        *,
        cooldown: bool = True,
        via: str = "",
        lang: str = "",
    ) -> IssueResult:
        """Store a new code for ``tag`` unless a limit refuses it (replaces any older code).

        ``customer_id`` is '' for an unknown contact (the decoy is stored, so nothing can
        match) or ``KEEP_CUSTOMER`` to reuse the pending request's customer (resend).
        ``code_id`` names this code, so a queued send can tell whether it is still live.
        ``cooldown=False``: nothing is sent (an authenticator app), so nobody need wait.
        ``via`` and ``lang``: the channel that carries the code and the language it was
        asked in (a fallback sends the fresh code in that language).
        """
        k, lim = self.keys(tag), self.limits
        status, value = self._call(
            self._issue,
            keys=[k["code"], k["sends"], k["cool"], k["fails"], k["cid"]],
            args=[
                code_hash,
                decoy,
                customer_id,
                lim.ttl,
                lim.max_requests,
                lim.window,
                lim.cooldown if cooldown else 0,
                lim.max_failures_per_day,
                int(time.time()),
                code_id,
                via,
                lang,
            ],
        )
        status = _text(status)
        if status == "issued":
            return IssueResult("issued", customer_id=_text(value))
        return IssueResult(status, retry_after=int(value))  # type: ignore[arg-type]

    def verify(self, tag: str, code_hash: str) -> VerifyResult:
        """Check a candidate: count a wrong guess, or consume the code if it is right."""
        k, lim = self.keys(tag), self.limits
        status, left, customer_id, ttl, cool = self._call(
            self._verify,
            keys=[k["code"], k["fails"], k["cool"]],
            args=[code_hash, lim.max_attempts, lim.max_failures_per_day, FAILURE_WINDOW_SECONDS],
        )
        return VerifyResult(
            _text(status),  # type: ignore[arg-type]
            int(left),
            _text(customer_id),
            max(int(ttl), 0),
            int(cool),
        )

    def _call(self, script: Script, keys: list[str], args: list) -> Any:
        """Run ``script``; with a meter, the attempt is counted in the same round trip.

        The two cannot share a script: the meter's key is global, the script's keys are
        the contact's (another Redis Cluster slot), so they go out in one pipeline.
        """
        if self.meter is None:
            return script(keys=keys, args=args)
        if isinstance(self.redis, RedisCluster):
            # A cluster pipeline refuses EVALSHA, and the meter's key is on another node
            # anyway: there the count is a second call.
            result = script(keys=keys, args=args)
            counter = self.redis.pipeline(transaction=False)
            self.meter.queue_count(counter)
            counter.execute()
            return result
        pipe = self.redis.pipeline(transaction=False)
        pipe.evalsha(script.sha, len(keys), *keys, *args)
        self.meter.queue_count(pipe)
        result = pipe.execute(raise_on_error=False)[0]
        if isinstance(result, NoScriptError):  # first use since Redis started: load and run
            return script(keys=keys, args=args)
        if isinstance(result, Exception):
            raise result
        return result

    def pending(self, tag: str) -> tuple[Pending | None, int]:
        """The live code (attempts left, seconds to expiry; None: no live code) and the
        seconds until another may be sent (0: now), in one round trip."""
        keys = self.keys(tag)
        pipe = self.redis.pipeline(transaction=False)
        pipe.hget(keys["code"], "n")
        pipe.ttl(keys["code"])
        pipe.ttl(keys["cool"])
        used, ttl, cool = pipe.execute()
        resend_in = max(int(cool or 0), 0)
        if used is None or ttl is None or ttl < 0:
            return None, resend_in
        return Pending(max(self.limits.max_attempts - int(used), 0), int(ttl)), resend_in

    def fall_back(
        self,
        tag: str,
        code_hash: str,
        decoy: str,
        code_id: str,
        *,
        from_channel: str,
        to_channel: str,
        expected_id: str = "",
        unless_delivered: bool = False,
    ) -> FellBack | None:
        """Replace the live ``from_channel`` code by a fresh one for ``to_channel`` (one
        atomic call); None when there is nothing to move (gone, moved already, delivered).

        Attempts used, expiry, sends and cooldown are kept: see ``lua.FALL_BACK``.
        """
        status, cid, lang, ttl = self._fall_back(
            keys=[self.keys(tag)["code"]],
            args=[
                expected_id,
                code_hash,
                decoy,
                code_id,
                int(unless_delivered),
                from_channel,
                to_channel,
            ],
        )
        if _text(status) != "fell_back":
            return None
        return FellBack(_text(cid), _text(lang), max(int(ttl), 1))

    def mark_delivered(self, tag: str, code_id: str) -> bool:
        """The provider delivered code ``code_id`` of ``tag``: it needs no fallback."""
        return bool(self._delivered(keys=[self.keys(tag)["code"]], args=[code_id]))

    def live_code_id(self, tag: str) -> str | None:
        """The id of ``tag``'s live code (None: used, expired or cleared since)."""
        value = self.redis.hget(self.keys(tag)["code"], "id")
        return None if value is None else _text(value)

    def unlock(self, tag: str) -> int:
        """Forget a contact's failures, limits and live code (ops: ``customers unlock``)."""
        return int(self.redis.delete(*self.keys(tag).values()))

    def request_customer(self, tag: str) -> str | None:
        """The customer id of the pending request ('' for an unknown contact), or None."""
        return _text(self.redis.hget(self.keys(tag)["code"], "cid")) or None

    def verify_totp(
        self, tag: str, candidate: str, accepted: list[tuple[int, str]], *, need_request: bool
    ) -> tuple[VerifyResult, int]:
        """Check a candidate hash against three (step, hash) pairs in one atomic call.

        A match whose step is not above the last accepted one is a replay and counts as a
        wrong guess; step 0 skips that check. ``need_request``: a pending request (sign-in)
        must exist and its attempts count too; without it only the daily cap counts.
        Answers the result and the accepted step (0 if none).
        """
        if len(accepted) != 3:
            raise ValueError("verify_totp compares exactly three codes")
        k, lim = self.keys(tag), self.limits
        status, left, customer_id, ttl, step = self._call(
            self._verify_totp,
            keys=[k["code"], k["fails"], f"otp:{{{tag}}}:step"],
            args=[
                candidate,
                *(h for _, h in accepted),
                *(s for s, _ in accepted),
                int(need_request),
                lim.max_attempts,
                lim.max_failures_per_day,
                FAILURE_WINDOW_SECONDS,
                STEP_TTL_SECONDS,
            ],
        )
        result = VerifyResult(_text(status), int(left), _text(customer_id), max(int(ttl), 0))  # type: ignore[arg-type]
        return result, int(step)

    def contact_state(self, tag: str) -> ContactState:
        """The live state of one contact for the support panel, in one round trip."""
        k, lim = self.keys(tag), self.limits
        pipe = self.redis.pipeline(transaction=False)
        pipe.hget(k["code"], "n")
        pipe.ttl(k["code"])
        pipe.ttl(k["cool"])
        pipe.get(k["sends"])
        pipe.get(k["fails"])
        pipe.ttl(k["fails"])
        used, code_ttl, cool_ttl, sends, fails, fails_ttl = pipe.execute()
        pending = None
        if used is not None and code_ttl is not None and code_ttl > 0:
            pending = Pending(max(lim.max_attempts - int(used), 0), int(code_ttl))
        fails_today = int(fails or 0)
        return ContactState(
            pending=pending,
            cooldown=max(int(cool_ttl or 0), 0),
            sends_left=max(lim.max_requests - int(sends or 0), 0),
            fails_today=fails_today,
            locked_for=max(int(fails_ttl or 0), 1)
            if fails_today >= lim.max_failures_per_day
            else 0,
        )


@dataclass(frozen=True)
class ContactState:
    """What support sees of one contact: live code, cooldown, sends left, failures today."""

    pending: Pending | None
    cooldown: int  # seconds until a resend is allowed (0: now)
    sends_left: int  # in the current window
    fails_today: int
    locked_for: int  # seconds the daily cap still refuses requests (0: not locked)

    @property
    def locked(self) -> bool:
        return self.locked_for > 0
