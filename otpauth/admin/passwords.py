"""Staff passwords: Argon2id hashes, at least 12 characters, no common password."""

from __future__ import annotations

import functools
import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 256  # Argon2 takes any length; a megabyte "password" is a denial of service
COMMON_FILE = os.path.join(os.path.dirname(__file__), "common_passwords.txt")

_hasher = PasswordHasher()  # argon2-cffi's defaults: Argon2id, RFC 9106 low-memory profile


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased (see the file's header)."""
    with open(COMMON_FILE, encoding="utf-8") as f:
        return frozenset(
            line.strip().lower() for line in f if line.strip() and not line.startswith("#")
        )


def problem(password: str) -> str | None:
    """Why ``password`` is refused, or None when it is acceptable."""
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if password.lower() in common_passwords() or len(set(password)) < 4:
        return "This password is too common. Choose another."
    return None


def hash_password(password: str) -> str:
    """The Argon2id hash to store."""
    return _hasher.hash(password)


@functools.cache
def _dummy_hash() -> str:
    return _hasher.hash("not a password of anyone's")


def check_password(stored: str | None, password: str) -> bool:
    """Whether ``password`` matches; with no hash, the same work is done for nothing.

    An unknown e-mail must cost as much as a wrong password, or timing tells them apart.
    """
    try:
        return _hasher.verify(stored or _dummy_hash(), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False
