"""API keys: created and revoked per workspace, stored hashed, checked in constant time.

A key reads ``lsk_<key_id>_<secret>``. The workspace's ``api_keys`` table keeps the key id, a
name, and the SHA-256 of the whole key; the key itself is shown once, when it is created, and is
never stored or logged. A request presents the key; :class:`KeyRing` finds the workspace that
holds it, so a key opens exactly one workspace.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import threading
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError
from leadscore.store.base import exclusive
from leadscore.timeutil import now_us

if TYPE_CHECKING:
    from leadscore.store.base import Store

PREFIX = "lsk"
_KEY = re.compile(r"lsk_([0-9a-f]{12})_([A-Za-z0-9_-]{20,100})")
_KEY_ID = re.compile(r"[0-9a-f]{12}")
MAX_NAME_LENGTH = 100


@dataclass(frozen=True)
class ApiKey:
    """What is kept of a key (never the key itself)."""

    key_id: str
    name: str
    created_at_us: int
    revoked_at_us: int | None

    @property
    def active(self) -> bool:
        return self.revoked_at_us is None

    def as_dict(self) -> dict[str, Any]:
        from leadscore.timeutil import iso

        return {
            "key_id": self.key_id,
            "name": self.name,
            "created_at": iso(self.created_at_us),
            "revoked_at": iso(self.revoked_at_us) if self.revoked_at_us is not None else None,
        }


def key_hash(key: str) -> str:
    """The stored form of a key: the hex SHA-256 of the whole key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def parse_key(key: str) -> str | None:
    """The key id of a well-formed key, else ``None``."""
    match = _KEY.fullmatch(key)
    return match.group(1) if match else None


def _name(name: str) -> str:
    text = name.strip()
    if not text or len(text) > MAX_NAME_LENGTH or any(ord(c) < 32 for c in text):
        raise LeadscoreError(
            f"a key name has 1 to {MAX_NAME_LENGTH} characters, no line breaks (got {name!r})"
        )
    return text


def create_key(store: Store, name: str, at_us: int | None = None) -> tuple[str, str]:
    """Create a key named ``name``; return ``(key_id, key)``. Only the hash is stored: show the
    key to its owner now, it cannot be read back."""
    label = _name(name)
    for _ in range(5):
        key_id = secrets.token_hex(6)
        if not store.scalar("SELECT count(*) FROM api_keys WHERE key_id = ?", [key_id]):
            break
    else:  # pragma: no cover - 48 random bits colliding five times in a row
        raise LeadscoreError("could not pick a new key id; try again")
    key = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    store.execute(
        "INSERT INTO api_keys VALUES (?, ?, ?, ?, ?)",
        [key_id, label, key_hash(key), now_us() if at_us is None else at_us, None],
    )
    return key_id, key


def list_keys(store: Store) -> list[ApiKey]:
    rows = store.rows(
        "SELECT key_id, name, created_at_us, revoked_at_us FROM api_keys "
        "ORDER BY created_at_us, key_id"
    )
    return [ApiKey(**row) for row in rows]


def revoke_key(store: Store, key_id: str, at_us: int | None = None) -> ApiKey:
    """Revoke a key (at once: the next request with it fails). Revoking twice keeps the first
    time."""
    wanted = key_id.strip()
    if not _KEY_ID.fullmatch(wanted):
        raise LeadscoreError(
            f"{key_id!r} is not a key id; key ids are 12 hex digits (see: leadscore keys list)"
        )
    store.execute(
        "UPDATE api_keys SET revoked_at_us = ? WHERE key_id = ? AND revoked_at_us IS NULL",
        [now_us() if at_us is None else at_us, wanted],
    )
    _REVOCATIONS.bump()
    rows = store.rows(
        "SELECT key_id, name, created_at_us, revoked_at_us FROM api_keys WHERE key_id = ?",
        [wanted],
    )
    if not rows:
        raise LeadscoreError(f"no API key with id '{wanted}' in this workspace")
    return ApiKey(**rows[0])


def check_key(store: Store, key: str) -> bool:
    """Whether ``key`` is a key of this workspace that is not revoked."""
    key_id = parse_key(key)
    presented = key_hash(key)
    stored = "0" * 64
    revoked = True
    if key_id is not None:
        rows = store.rows("SELECT key_hash, revoked_at_us FROM api_keys WHERE key_id = ?", [key_id])
        if rows:
            stored = str(rows[0]["key_hash"])
            revoked = rows[0]["revoked_at_us"] is not None
    same = hmac.compare_digest(stored.encode(), presented.encode())
    return same and not revoked and key_id is not None


Reader = Callable[[], AbstractContextManager["Store"]]


class _Counter:
    """How many revocations this process has made: a key ring's memo of checked keys holds only
    while it has not moved."""

    def __init__(self) -> None:
        self.value = 0
        self._lock = threading.Lock()

    def bump(self) -> None:
        with self._lock:
            self.value += 1


_REVOCATIONS = _Counter()


class KeyRing:
    """Finds the workspace a key belongs to, among the workspaces served.

    A revoked key fails on its next request. With PostgreSQL every check reads the key's row:
    another process (``leadscore keys revoke``) may revoke it at any time. A DuckDB workspace
    file is locked by the service's process while it runs, so its keys can only be revoked
    through this process (:func:`revoke_key` counts every revocation): a key found valid there
    is remembered until the next revocation, and its requests read nothing (a key read was
    about a seventh of the server's work per single-event request). Which workspace holds a key
    is remembered as well, so a request reads one workspace, not all of them.
    """

    def __init__(self, readers: Mapping[str, Reader]):
        self._readers = dict(readers)
        self._home: dict[str, str] = {}  # key hash -> workspace name
        self._valid: dict[str, tuple[str, int]] = {}  # key hash -> (workspace, revocations)
        self._lock = threading.Lock()

    def remembered(self, key: str | None) -> str | None:
        """The workspace of ``key`` when it was found valid since the last revocation (no read
        at all), else ``None`` (then ask :meth:`workspace_of`)."""
        return self._remembered(key_hash(key)) if key else None

    def _remembered(self, digest: str) -> str | None:
        with self._lock:
            memo = self._valid.get(digest)
        if memo is not None and memo[1] == _REVOCATIONS.value:
            return memo[0]
        return None

    def workspace_of(self, key: str | None) -> str | None:
        """The name of the workspace whose valid key ``key`` is, else ``None``."""
        if not key or parse_key(key) is None:
            return None
        digest = key_hash(key)
        found = self._remembered(digest)
        if found is not None:
            return found
        revocations = _REVOCATIONS.value  # before reading: a revocation meanwhile voids the memo
        with self._lock:
            known = self._home.get(digest)
        candidates = [known] if known is not None else list(self._readers)
        for name in candidates:
            with self._readers[name]() as store:
                if check_key(store, key):
                    with self._lock:
                        self._home[digest] = name
                        if exclusive(store):
                            self._valid[digest] = (name, revocations)
                    return name
        return None
