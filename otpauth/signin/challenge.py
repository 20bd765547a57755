"""Proof of work under attack: the all-contacts attempt meter and ALTCHA challenges.

The meter counts send requests and code guesses across every contact, per clock minute,
in ``rate:{global}:<minute>`` (TTL two minutes). The code store queues the count in the
same pipeline as its own script, so counting costs no extra round trip.

When ``CHALLENGE_MODE`` is ``always``, or ``auto`` and the attempts of the last sixty
seconds (a sliding window over the two minute counters) exceed
``CHALLENGE_THRESHOLD_PER_MINUTE``, ``POST /otp/request/`` needs a solved
ALTCHA challenge (field ``altcha``), the same for every contact; so does an SMS request
for a number prefix asked for more than ``SMS_MAX_PER_PREFIX_PER_HOUR`` times this hour
(``auth.service.needs_proof``). Each solution works once:
its signature is kept in ``pow:{<hash>}:used`` until the challenge expires.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import altcha
import redis
from flask import Flask, current_app
from redis.client import Pipeline

from ..platform.redis import get_redis
from .otp import otp_store
from .otp.codes import derive_key

log = logging.getLogger(__name__)
EXTENSION_KEY = "otpauth.challenge"
ALGORITHM = "PBKDF2/SHA-256"  # the widget's PBKDF2 worker runs it with WebCrypto, natively
COST = 2000  # PBKDF2 iterations per try; with prefix "00", 256 tries expected (~0.5 s)
KEY_PREFIX = "00"
LIFETIME_SECONDS = 600
RECHECK_SECONDS = 5.0  # how long a process trusts its last reading of the meter
MAX_PAYLOAD = 4096  # a genuine payload is about 500 characters


class AttackMeter:
    """Send requests and guesses across all contacts, per clock minute."""

    def __init__(self, client: redis.Redis) -> None:
        self.redis = client
        self.clock: Callable[[], float] = time.time  # tests move it

    @staticmethod
    def key(minute: int) -> str:
        return f"rate:{{global}}:{minute}"

    def queue_count(self, pipe: Pipeline) -> None:
        """Add one attempt to this minute's count, inside the caller's pipeline."""
        key = self.key(int(self.clock() // 60))
        pipe.incr(key)
        pipe.expire(key, 120)

    def per_minute(self) -> float:
        """Attempts in the last sixty seconds, estimated from two clock-minute counters.

        This minute's count plus the last minute's, weighted by how much of it is still
        inside the window (a sliding window): a burst split by a minute boundary is not
        halved, and the estimate never exceeds the two counts together.
        """
        now = self.clock()
        minute = int(now // 60)
        current, previous = self.redis.mget(self.key(minute), self.key(minute - 1))
        still_in_window = 1 - (now % 60) / 60
        return int(current or 0) + int(previous or 0) * still_in_window


@dataclass(frozen=True)
class ChallengeSettings:
    """From the settings: mode, threshold, and the proof's cost (tests make it cheap)."""

    mode: str
    threshold: int
    cost: int = COST
    recheck: float = RECHECK_SECONDS


class Challenges:
    """Issues ALTCHA challenges and redeems their solutions, once each."""

    def __init__(
        self, client: redis.Redis, secret_key: str, meter: AttackMeter, cfg: ChallengeSettings
    ) -> None:
        self.redis = client
        self.meter = meter
        self.cfg = cfg
        self._hmac_key = derive_key(secret_key, "altcha")
        self._required, self._checked_at = False, -float("inf")

    def required(self) -> bool:
        """Whether a request must carry a solution right now.

        In ``auto`` the answer is kept for ``recheck`` seconds per process, so pages on the
        check path (the verify page after a wrong guess) rarely pay a round trip for it.
        """
        if self.cfg.mode != "auto":
            return self.cfg.mode == "always"
        now = time.monotonic()
        if now - self._checked_at >= self.cfg.recheck:
            self._required = self.meter.per_minute() > self.cfg.threshold
            self._checked_at = now
        return self._required

    def issue(self) -> str:
        """A signed challenge, as the JSON the widget's ``challenge`` attribute takes."""
        challenge = altcha.create_challenge(
            ALGORITHM,
            self.cfg.cost,
            key_prefix=KEY_PREFIX,
            expires_at=int(time.time()) + LIFETIME_SECONDS,
            hmac_secret=self._hmac_key,
        )
        return json.dumps(challenge.to_dict(), separators=(",", ":"))

    def redeem(self, payload: str | None) -> bool:
        """True once for a valid, unexpired solution of one of our challenges."""
        if not payload or len(payload) > MAX_PAYLOAD:
            return False
        try:
            result = altcha.verify_solution(payload, self._hmac_key)
            parsed = altcha.Payload.from_base64(payload) if result.verified else None
        except (ValueError, TypeError, KeyError, OverflowError):  # hostile payloads
            return False
        params = parsed.challenge.parameters if parsed is not None else None
        if params is None or (params.algorithm, params.cost, params.key_prefix) != (
            ALGORITHM,
            self.cfg.cost,
            KEY_PREFIX,
        ):
            return False  # signed by us, but not terms we issue: no less work than ours
        used = hashlib.sha256(str(parsed.challenge.signature).encode()).hexdigest()[:32]
        expires_at = int(params.expires_at or 0)
        ttl = max(expires_at - int(time.time()), 1) + 60
        return bool(self.redis.set(f"pow:{{{used}}}:used", "1", nx=True, ex=ttl))


def challenges() -> Challenges:
    """The current app's challenge service."""
    return current_app.extensions[EXTENSION_KEY]


def page_challenge(required: bool = False) -> str | None:
    """For the request page: a challenge when one is required, else None.

    ``required``: the view knows this form needs one (an SMS number prefix under attack).
    With Redis down the page shows none: the POST then answers 503 on its own.
    """
    try:
        service = challenges()
        return service.issue() if required or service.required() else None
    except redis.RedisError as exc:
        log.warning("challenge: cannot read the attempt meter: %s", type(exc).__name__)
        return None


def init_app(app: Flask) -> None:
    """Build the meter and the service; offer ``page_challenge`` to templates."""
    c = app.config
    cfg = ChallengeSettings(
        c["CHALLENGE_MODE"],
        c["CHALLENGE_THRESHOLD_PER_MINUTE"],
        c.get("CHALLENGE_COST", COST),  # not a setting: tests make the proof cheap
        c.get("CHALLENGE_RECHECK_SECONDS", RECHECK_SECONDS),
    )
    with app.app_context():
        client = get_redis()
        meter = AttackMeter(client)
        otp_store().meter = meter  # the code store counts each send and guess as it runs
    app.extensions[EXTENSION_KEY] = Challenges(client, c["SECRET_KEY"], meter, cfg)
    app.jinja_env.globals["page_challenge"] = page_challenge
