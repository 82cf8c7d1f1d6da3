"""Password hashing: Argon2id for new hashes; bcrypt hashes (from imported apps) still verify."""

from __future__ import annotations

import contextlib

import bcrypt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_argon2 = PasswordHasher()
# A fixed hash to verify against when the account doesn't exist, so both paths cost the same.
_DUMMY = _argon2.hash("baas-timing-equaliser")


def hash_password(password: str) -> str:
    return _argon2.hash(password)


def verify_password(password: str, hashed: str) -> bool:
    if not hashed:
        _burn(password)
        return False
    if hashed.startswith(("$2a$", "$2b$", "$2y$")):
        try:
            return bcrypt.checkpw(password.encode()[:72], hashed.encode())
        except ValueError:
            return False
    try:
        return _argon2.verify(hashed, password)
    except (VerificationError, InvalidHashError):
        return False


def _burn(password: str) -> None:
    with contextlib.suppress(VerificationError):
        _argon2.verify(_DUMMY, password)
