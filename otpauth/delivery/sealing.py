"""Sealing a queued message: the job in Redis carries the code, so it is encrypted.

The contract keeps codes and contacts out of Redis in clear; a queued message holds both,
so its payload is a Fernet token (AES-128-CBC + HMAC-SHA256) under a sub-key of
``SECRET_KEY``. The payload carries its deadline: the end of the code's lifetime.
"""

from __future__ import annotations

import base64
import json
import time

from cryptography.fernet import Fernet, InvalidToken

from ..otp.codes import derive_key
from .base import Message


class Unreadable(Exception):
    """The token does not open: tampered with, or sealed under another ``SECRET_KEY``."""


def _fernet(secret_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derive_key(secret_key, "delivery-queue")))


def seal(secret_key: str, channel: str, message: Message, ttl: int) -> bytes:
    """Encrypt ``message`` for the queue; it opens for ``ttl`` seconds from now."""
    payload = {
        "channel": channel,
        "to": message.to,
        "text": message.text,
        "subject": message.subject,
        "html": message.html,
        "deadline": time.time() + ttl,
    }
    return _fernet(secret_key).encrypt(json.dumps(payload).encode())


def unseal(secret_key: str, token: bytes) -> tuple[str, Message, float]:
    """The channel, the message and its deadline (epoch seconds) from a sealed token."""
    try:
        payload = json.loads(_fernet(secret_key).decrypt(token))
    except InvalidToken:
        raise Unreadable("the queued message does not open (tampered or another key)") from None
    message = Message(
        to=payload["to"], text=payload["text"], subject=payload["subject"], html=payload["html"]
    )
    return payload["channel"], message, payload["deadline"]
