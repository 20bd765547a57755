"""Staff passwords: Argon2id hashes; at least 12 characters that zxcvbn (a strength
estimator: dictionaries, keyboard walks, dates, repeats, l33t) scores 4 of 4, given the
member's own e-mail and name, and not on the shipped list of common passwords."""

from __future__ import annotations

import functools
import os

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MAX_LENGTH = 256  # Argon2 takes any length; a megabyte "password" is a denial of service
MIN_SCORE = 4  # zxcvbn's top score: "Admin@123456" and "Summer2026!!" score 3
ESTIMATED = 64  # zxcvbn's work grows with length; a strong start is a strong password
COMMON_FILE = os.path.join(os.path.dirname(__file__), "common_passwords.txt")

_hasher = PasswordHasher()  # argon2-cffi's defaults: Argon2id, RFC 9106 low-memory profile


@functools.cache
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased (see the file's header)."""
    with open(COMMON_FILE, encoding="utf-8") as f:
        return frozenset(
            line.strip().lower() for line in f if line.strip() and not line.startswith("#")
        )


def problem(password: str, email: str = "", name: str = "") -> str | None:
    """Why ``password`` is refused, or None when it is acceptable.

    ``email`` and ``name`` are the member's: a password made of them is guessable.
    """
    if len(password) < MIN_LENGTH:
        return f"Use at least {MIN_LENGTH} characters."
    if len(password) > MAX_LENGTH:
        return f"Use at most {MAX_LENGTH} characters."
    if password.lower() in common_passwords() or len(set(password)) < 4:
        return "This password is too common. Choose another."
    if zxcvbn(password[:ESTIMATED], user_inputs=_own_words(email, name))["score"] < MIN_SCORE:
        return (
            "This password is too easy to guess: avoid names, dates, keyboard patterns and "
            "your own e-mail address. A few unrelated words make a strong one."
        )
    return None


def _own_words(email: str, name: str) -> list[str]:
    """The member's details as zxcvbn's user inputs: the address, its parts, the name's."""
    local, _, domain = email.lower().partition("@")
    words = [email.lower(), local, *domain.split("."), *name.lower().split()]
    return [w for w in words if w]


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
