"""Password hashing (argon2id) and the minimum password policy."""

from __future__ import annotations

import functools
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import Flask, current_app, has_app_context

from server.config import DEMO_PASSWORD

# argon2-cffi's defaults (RFC 9106's second recommended option): what every profile but the test one uses.
PRODUCTION_HASHER = PasswordHasher()


def install(app: Flask) -> None:
    """The app's hasher. The test profile sets PASSWORD_HASH_COST to a cheap one so hundreds of test users do
    not each cost a production hash; every hash carries its own parameters, so any hasher verifies any hash."""
    cost = app.config.get("PASSWORD_HASH_COST")
    app.extensions["password_hasher"] = PasswordHasher(**cost) if cost else PRODUCTION_HASHER


def hasher() -> PasswordHasher:
    return current_app.extensions["password_hasher"] if has_app_context() else PRODUCTION_HASHER


def hash_password(password: str) -> str:
    return hasher().hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with no hash (unknown user) the same argon2 work is done against a
    dummy hash and the answer is False, so the time of a refusal does not tell which usernames exist."""
    current = hasher()
    try:
        return current.verify(password_hash or _dummy_hash(current), password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash(current: PasswordHasher) -> str:
    # Made with the same parameters as real hashes, once per process, from a random password nobody knows.
    return current.hash(secrets.token_urlsafe(32))


MIN_LENGTH = 10
# The passwords every guessing list starts with (and Indonesian favourites); refused whatever the length.
COMMON = frozenset(
    {
        "1234567890",
        "12345678910",
        "0123456789",
        "password123",
        "password1234",
        "passw0rd123",
        "qwertyuiop",
        "1q2w3e4r5t",
        "iloveyou123",
        "bismillah123",
        "indonesia123",
        "katasandi123",
        "samarinda123",
        "rahasia12345",
        "admin12345",
        "administrator",
        "dinassosial",
        "verval12345",
    }
)


def password_problems(password: str, *, username: str, allow_demo: bool) -> list[str]:
    """Why `password` may not be set (bilingual messages); empty when it meets the policy."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"Minimal {MIN_LENGTH} karakter / at least {MIN_LENGTH} characters")
    if password.strip().lower() == username.strip().lower():
        problems.append("Tidak boleh sama dengan nama pengguna / must differ from the username")
    if password.lower() in COMMON or len(set(password)) < 4:
        problems.append("Terlalu mudah ditebak / too easy to guess")
    if password == DEMO_PASSWORD and not allow_demo:
        problems.append("Kata sandi demo tidak boleh dipakai di produksi / the demo password is refused in production")
    return problems
