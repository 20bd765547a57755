"""Sealing a queued job: it carries the code, so the payload in Redis is encrypted.

The contract keeps codes out of Redis in clear; a queued job holds one, so its payload is
a Fernet token (AES-128-CBC + HMAC-SHA256) under a sub-key of ``SECRET_KEY``. The job
names no contact at all: the worker finds the recipient from the customer id at send time.
"""

from __future__ import annotations

import base64
import dataclasses
import json

from cryptography.fernet import Fernet, InvalidToken

from ..signin.otp.codes import derive_key
from .base import SendJob


class Unreadable(Exception):
    """The token does not open: tampered with, or sealed under another ``SECRET_KEY``."""


def _fernet(secret_key: str) -> Fernet:
    return Fernet(base64.urlsafe_b64encode(derive_key(secret_key, "delivery-queue")))


def seal(secret_key: str, job: SendJob) -> bytes:
    """Encrypt ``job`` for the queue."""
    return _fernet(secret_key).encrypt(json.dumps(dataclasses.asdict(job)).encode())


def unseal(secret_key: str, token: bytes) -> SendJob:
    """The job in a sealed token."""
    try:
        payload = json.loads(_fernet(secret_key).decrypt(token))
    except InvalidToken:
        raise Unreadable("the queued job does not open (tampered or another key)") from None
    return SendJob(**payload)
