"""The login logic the views call: plain functions, testable without a request.

Unknown and inactive contacts walk the same path as customers: a record is issued in
Redis (holding a decoy hash no code matches) and a send job is dispatched for it too, which
the delivery policy drops for want of a recipient; so answers, audit rows, SQL lookups and
timing reveal nothing about who is a customer, nor whether the provider failed.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from enum import Enum

from flask import current_app

from ...delivery import SendJob, delivery, policy, unavailable_channels
from ...delivery import gates as delivery_gates
from ...delivery.fallback import Moved, fall_back
from ...delivery.gates import Admission, Ticket
from ...delivery.notices import send_security_notice
from ...platform import autocommit
from ...platform.i18n import current_language
from ...signin import audit, authenticators, channels, queries
from ...signin.models import Customer, utcnow
from ...signin.otp import hasher, otp_store
from ...signin.otp.codes import decoy_hash, generate_code
from ...signin.otp.store import KEEP_CUSTOMER, IssueResult, VerifyResult
from ...signin.otp.totp import is_recovery

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Issued:
    """The outcome of a request or resend: the store's answer and the contact's tag.

    ``blocked`` (then ``result`` is None) when the channel refused before anything was
    stored: ``unroutable`` (400) or ``unavailable`` (503), the same for every contact.
    """

    tag: str
    result: IssueResult | None
    blocked: Blocked | None = None
    fallback_at: float = 0.0  # when a WhatsApp code falls back to SMS (0: it has none)


class Blocked(Enum):
    """Why a send was refused for everyone, before anything was stored."""

    UNROUTABLE = "unroutable"  # SMS to a region or a kind of number we do not serve
    UNAVAILABLE = "unavailable"  # the channel's breaker is open or the SMS budget is spent


def find_customer(channel: str, contact: str) -> int | None:
    """The id of the active customer whose e-mail or phone (normalized) is ``contact``."""
    statement = queries.customer_by_contact(channels.get(channel).column_for(contact))
    return autocommit.scalar(statement, {"contact": contact}, idempotent=True)  # a SELECT


def request_code(channel: str, contact: str) -> Issued:
    """Issue a code for a normalized contact and dispatch its send (whoever it is)."""
    tag = hasher().tag(channel, contact)
    if channels.get(channel).metered and not policy.routable(contact):
        log.info("otp: %s refused for contact %s: region or number type", channel, tag[:8])
        return Issued(tag, None, Blocked.UNROUTABLE)
    found = find_customer(channel, contact)
    audit.record("otp_requested", customer_id=found, channel=channel, contact_hash=tag)
    customer_id = "" if found is None else str(found)
    if channels.get(channel).sender is None:
        return _issue_unsent(channel, tag, customer_id)
    # The send needs not look the customer up again: it gets the contact (or '' for nobody).
    to = contact if customer_id else ""
    return _issue_and_send(channel, tag, customer_id, to)


def _issue_unsent(channel: str, tag: str, cid: str) -> Issued:
    """A pending request for a channel that sends nothing (an authenticator app).

    It holds no code (a decoy hash) but counts attempts like any other, and every contact,
    customer or not, walks this same path.
    """
    result = otp_store().issue(tag, decoy_hash(), decoy_hash(), cid, cooldown=False)
    if not result.issued:
        audit.record("otp_rate_limited", customer_id=cid or None, channel=channel, contact_hash=tag)
    return Issued(tag, result)


def resend_code(channel: str, tag: str) -> Issued:
    """Issue a fresh code for the pending request; the previous code stops working."""
    if channels.get(channel).sender is None:  # nothing to send: a fresh request only
        result = otp_store().issue(tag, decoy_hash(), decoy_hash(), KEEP_CUSTOMER, cooldown=False)
        return Issued(tag, result)
    return _issue_and_send(channel, tag, KEEP_CUSTOMER)


def auto_channel(detected: str) -> str:
    """What ``auto`` means for a contact of kind ``detected``: for a phone number, the first
    channel of DELIVERY_PHONE_ORDER that is available right now (else the first one). The
    same answer for every contact: it reads only the channel-wide state."""
    if not channels.answers_phone(detected):
        return detected
    order = channels.phone_order(current_app.config)
    down = unavailable_channels()
    return next((name for name in order if name not in down), order[0])


def fall_back_now(channel: str, tag: str) -> Moved:
    """The customer asked for the code by the fallback channel (SMS) instead, at once."""
    return fall_back(channel, tag, "asked")


def sms_prefix(channel: str, contact: str) -> str | None:
    """The SMS budget's prefix of a normalized contact (None: unmetered, or never sent to)."""
    metered = channels.get(channel).metered
    return policy.sms_prefix(contact) if metered and policy.routable(contact) else None


def needs_proof(channel: str, prefix: str | None) -> bool:
    """Count a send request for a ``prefix`` of a metered channel; whether it must carry a
    proof of work.

    The per-prefix budget counts only what is sent (to customers), so requests for numbers
    that are nobody's no longer spend it and lock a prefix's customers out (issue 19,
    finding 5). What a prefix is asked for is still counted, for everyone alike: beyond
    ``SMS_MAX_PER_PREFIX_PER_HOUR`` requests an hour the prefix is under attack, and its
    requests (customers' and strangers' the same) need a solved challenge instead.
    """
    return prefix is not None and policy.prefix_under_attack(prefix, channel)


def _issue_and_send(channel: str, tag: str, customer_id: str, to: str | None = None) -> Issued:
    """Admit, store and dispatch: the same steps, SQL and audit rows for every contact.

    ``to``: the contact the request found (see ``SendJob.to``); None on a resend.
    """
    ticket = policy.admit(channel)
    if ticket.admission is not Admission.OK:
        return _refused(channel, tag, ticket)
    config = current_app.config
    code, code_id = generate_code(config["OTP_LENGTH"]), secrets.token_hex(8)
    lang = current_language()
    result = otp_store().issue(
        tag, hasher().code(tag, code), decoy_hash(), customer_id, code_id, via=channel, lang=lang
    )
    if not result.issued:
        delivery_gates().give_back(ticket.counted)
        _audit_refusal(channel, tag, customer_id)
        log.info("otp: %s refused for contact %s (%s)", channel, tag[:8], result.status)
        return Issued(tag, result)
    audit.record(  # the ledger's entry: its outcome repeats the delivery_id (delivery.ledger)
        "otp_queued",
        customer_id=result.customer_id,
        channel=channel,
        contact_hash=tag,
        delivery_id=code_id,
    )
    now = time.time()
    deadline = now + config["OTP_TTL_SECONDS"]
    # Every WhatsApp code, a stranger's too, falls back on the same clock.
    fallback_at = now + config["WHATSAPP_FALLBACK_SECONDS"] if channels.get(channel).fallback else 0
    job = SendJob(
        channel, tag, code_id, code, result.customer_id, deadline, lang, to, fallback_at=fallback_at
    )
    delivery().dispatch(job)
    return Issued(tag, result, fallback_at=fallback_at)


def _refused(channel: str, tag: str, ticket: Ticket) -> Issued:
    """A channel-wide refusal (breaker, SMS budget): 503 for everyone."""
    log.info("otp: %s refused for contact %s (%s)", channel, tag[:8], ticket.admission.value)
    return Issued(tag, None, Blocked.UNAVAILABLE)


def _audit_refusal(channel: str, tag: str, customer_id: str) -> None:
    cid = None if customer_id == KEEP_CUSTOMER else customer_id
    audit.record("otp_rate_limited", customer_id=cid, channel=channel, contact_hash=tag)


def verify_code(
    channel: str, tag: str, code: str, *, now: float | None = None
) -> tuple[VerifyResult, Customer | None]:
    """Check a code; on success return the customer, stamped as logged in and verified."""
    if channels.get(channel).has_own_check:
        result = _check_app(tag, code, now)
    else:
        result = otp_store().verify(tag, hasher().code(tag, code))
    if result.status != "ok":
        event = "otp_locked" if result.status == "locked" else "otp_verify_failed"
        audit.record(
            event, customer_id=result.customer_id or None, channel=channel, contact_hash=tag
        )
        return result, None
    customer = stamp_login(int(result.customer_id), channel) if result.customer_id else None
    if customer is None:
        # Only reachable if the customer was removed or deactivated after the request.
        audit.record("otp_verify_failed", channel=channel, contact_hash=tag)
        return VerifyResult("expired"), None
    audit.record("login", customer_id=customer.id, channel=channel, contact_hash=tag)
    if channels.get(channel).has_own_check and is_recovery(code):
        send_security_notice(customer, "recovery_code_used")
    return result, customer


def _check_app(tag: str, code: str, now: float | None) -> VerifyResult:
    """Check an authenticator code or recovery code against the pending request's customer.

    Unknown contacts and customers without an authenticator get decoys: no code matches.
    """
    cid = otp_store().request_customer(tag)
    owner = int(cid) if cid else None
    return authenticators.check(
        tag, "customer", owner, code, need_request=True, now=authenticators.current_time(now)
    )


def stamp_login(customer_id: int, channel: str) -> Customer | None:
    """Stamp the login (and the contact as verified) on an active customer; return it.

    One statement (UPDATE ... RETURNING, committed on its own) checks, stamps and loads;
    the customer comes back detached with every column loaded, so nothing reloads it.
    """
    verified_attr = channels.get(channel).verified_attr  # None: the channel proves no contact
    statement = queries.stamp_login(verified_attr)
    params = {"cid": customer_id, "now": utcnow()}
    # Idempotent: ``now`` is bound once, so a second run (after a dropped connection) sets
    # the same last_login_at, coalesce keeps the first proof, and it returns the same row.
    return autocommit.run(lambda s: s.scalars(statement, params).one_or_none(), idempotent=True)
