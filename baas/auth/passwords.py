"""Password hashing: Argon2id for new hashes; bcrypt hashes (from imported apps) still verify.

Argon2's cost comes from ``settings.BAAS_ARGON2`` (time_cost, memory_cost in KiB,
parallelism); the defaults are OWASP's minimum for Argon2id (m=19 MiB, t=2, p=1):
23 ms of CPU per verify instead of 186 ms with argon2-cffi's profile (m=64 MiB, t=3,
p=4), and a third of the memory per concurrent sign-in (bench/PROFILE.md §7). A hash
made with other parameters still verifies (they are in the hash) and is replaced on
the next successful sign-in (``upgrade_hash``). The test suite lowers them further,
since it signs users in thousands of times.
"""

from __future__ import annotations

import contextlib
import threading
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from django.conf import settings
from django.db import connection

from baas.collections import naming
from baas.collections.ddl import quote

if TYPE_CHECKING:
    from baas.collections.models import Collection


DEFAULT_TIME_COST, DEFAULT_MEMORY_COST, DEFAULT_PARALLELISM = 2, 19456, 1

# Argon2 runs outside the GIL, each hash with its own memory_cost (19 MiB): 16 request
# threads signing in at once held 300 MB between them, for no more throughput than
# the cores give. At most this many hash at once per process; the rest wait their turn.
CONCURRENT_HASHES = 2
_hashing = threading.BoundedSemaphore(CONCURRENT_HASHES)


@lru_cache(maxsize=4)
def _hasher_for(time_cost: int, memory_cost: int, parallelism: int) -> PasswordHasher:
    return PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)


def _hasher() -> PasswordHasher:
    options = getattr(settings, "BAAS_ARGON2", {})
    return _hasher_for(
        options.get("time_cost", DEFAULT_TIME_COST),
        options.get("memory_cost", DEFAULT_MEMORY_COST),
        options.get("parallelism", DEFAULT_PARALLELISM),
    )


@lru_cache(maxsize=4)
def _dummy_hash(hasher: PasswordHasher) -> str:
    """A fixed hash to verify against when the account doesn't exist, so both paths cost the same."""
    with _hashing:
        return hasher.hash("baas-timing-equaliser")


def hash_password(password: str) -> str:
    with _hashing:
        return _hasher().hash(password)


def verify_password(password: str, hashed: str) -> bool:
    hasher = _hasher()
    if not hashed:
        dummy = _dummy_hash(hasher)
        with _hashing, contextlib.suppress(VerificationError):
            hasher.verify(dummy, password)
        return False
    if hashed.startswith(("$2a$", "$2b$", "$2y$")):
        try:
            return bcrypt.checkpw(password.encode()[:72], hashed.encode())
        except ValueError:
            return False
    try:
        with _hashing:
            return hasher.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(hashed: str) -> bool:
    """An Argon2 hash made with other parameters than the current ones (bcrypt stays)."""
    if not hashed.startswith("$argon2"):
        return False
    try:
        return _hasher().check_needs_rehash(hashed)
    except InvalidHashError:
        return False


def upgrade_hash(collection: Collection, record: dict[str, Any], password: str) -> bool:
    """After a successful sign-in: store the password hashed with the current parameters.

    The same password, so nothing else of the record changes (its tokenKey, ``updated``,
    no realtime event): the column is replaced only if it still holds the verified hash,
    so a password change made meanwhile wins.
    """
    old = str(record.get("password") or "")
    field = collection.field("password")
    if field is None or not needs_rehash(old):
        return False
    new = hash_password(password)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(naming.table_name(collection.id))} SET {quote(naming.column_name(field))}"
            f" = %s WHERE {quote('id')} = %s AND {quote(naming.column_name(field))} = %s",
            [new, record["id"], old],
        )
        changed = cursor.rowcount == 1
    if changed:
        record["password"] = new
    return changed
