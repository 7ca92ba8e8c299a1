"""Passwords, stored as scrypt hashes with a per-user random salt.

The stored form names its parameters (``scrypt$16384$8$1$<salt hex>$<hash hex>``) so that they
can be raised later without breaking existing passwords. Checking compares in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from leadscore.errors import LeadscoreError

SCHEME = "scrypt"
N, R, P = 2**14, 8, 1  # about 16 MiB and a few tens of milliseconds per check
SALT_BYTES = 16
KEY_BYTES = 32
MIN_LENGTH = 8
MAX_LENGTH = 1024
_MAXMEM = 64 * 1024 * 1024


def check_strength(password: str) -> None:
    """Refuse passwords that are too short or too long (with the reason)."""
    if len(password) < MIN_LENGTH:
        raise LeadscoreError(f"a password has at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise LeadscoreError(f"a password has at most {MAX_LENGTH} characters")


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=KEY_BYTES, maxmem=_MAXMEM
    )


def hash_password(password: str) -> str:
    """The stored form of ``password`` (a new random salt each time)."""
    check_strength(password)
    salt = secrets.token_bytes(SALT_BYTES)
    digest = _derive(password, salt, N, R, P)
    return f"{SCHEME}${N}${R}${P}${salt.hex()}${digest.hex()}"


# checked when the user does not exist, so that both cases take the same time
_DUMMY = f"{SCHEME}${N}${R}${P}${'00' * SALT_BYTES}${'00' * KEY_BYTES}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches ``stored`` (``None``: no such user; still costs a hash)."""
    if len(password) > MAX_LENGTH:
        return False
    text = stored if stored is not None else _DUMMY
    try:
        scheme, n, r, p, salt, digest = text.split("$")
        if scheme != SCHEME:
            return False
        computed = _derive(password, bytes.fromhex(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(computed.hex(), digest) and stored is not None
