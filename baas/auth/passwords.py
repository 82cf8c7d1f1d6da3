"""Password hashing: Argon2id for new hashes; bcrypt hashes (from imported apps) still verify.

Argon2's cost comes from ``settings.BAAS_ARGON2`` (time_cost, memory_cost in KiB,
parallelism); the defaults are argon2-cffi's recommended profile. The test suite
lowers them, since it signs users in thousands of times.
"""

from __future__ import annotations

import contextlib
from functools import lru_cache

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from django.conf import settings


@lru_cache(maxsize=4)
def _hasher_for(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def _hasher() -> PasswordHasher:
    options = getattr(settings, "BAAS_ARGON2", {})
    return _hasher_for(
        options.get("time_cost", 3),
        options.get("memory_cost", 65536),
        options.get("parallelism", 4),
    )


@lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    """A fixed hash to verify against when the account doesn't exist, so both paths cost the same."""
    return hasher.hash("baas-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def verify_password(password: str, hashed: str) -> bool:
    hasher = _hasher()
    if not hashed:
        with contextlib.suppress(VerificationError):
            hasher.verify(_dummy_hash(hasher), password)
        return False
    if hashed.startswith(("$2a$", "$2b$", "$2y$")):
        try:
            return bcrypt.checkpw(password.encode()[:72], hashed.encode())
        except ValueError:
            return False
    try:
        return hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False
