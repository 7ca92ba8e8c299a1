"""Workspace users of the web app: a username and a password (scrypt, see :mod:`.passwords`).

Usernames are case-insensitive (kept in lower case): letters, digits and ``. _ @ + -``, 1 to 64
characters, so that an email address works as a username.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError
from leadscore.web.auth.passwords import hash_password, verify_password
from leadscore.web.tables import ensure_tables

if TYPE_CHECKING:
    from leadscore.store.base import Store

_USERNAME = re.compile(r"[a-z0-9._@+-]{1,64}")


@dataclass(frozen=True)
class User:
    username: str
    created_at_us: int
    last_login_at_us: int | None

    def as_dict(self) -> dict[str, Any]:
        from leadscore.timeutil import iso

        last = self.last_login_at_us
        return {
            "username": self.username,
            "created_at": iso(self.created_at_us),
            "last_login_at": iso(last) if last is not None else None,
        }


def normalise_username(name: str) -> str:
    """The stored form of a username; a :class:`LeadscoreError` says what is wrong."""
    text = name.strip().lower()
    if not _USERNAME.fullmatch(text):
        raise LeadscoreError(
            f"a username has 1 to 64 characters among letters, digits and . _ @ + - (got {name!r})"
        )
    return text


def create_user(store: Store, username: str, password: str, at_us: int) -> User:
    """Add a user; refuses a username that exists (in any case)."""
    name = normalise_username(username)
    ensure_tables(store)
    stored = hash_password(password)
    if store.scalar("SELECT count(*) FROM web_users WHERE username = ?", [name]):
        raise LeadscoreError(f"user '{name}' exists already in this workspace")
    store.execute("INSERT INTO web_users VALUES (?, ?, ?, ?)", [name, stored, at_us, None])
    return User(name, at_us, None)


def list_users(store: Store) -> list[User]:
    ensure_tables(store)
    rows = store.rows(
        "SELECT username, created_at_us, last_login_at_us FROM web_users ORDER BY username"
    )
    return [User(**row) for row in rows]


def delete_user(store: Store, username: str) -> None:
    """Remove a user and end their sessions at once."""
    name = normalise_username(username)
    ensure_tables(store)
    if not store.scalar("SELECT count(*) FROM web_users WHERE username = ?", [name]):
        raise LeadscoreError(f"no user '{name}' in this workspace (see: leadscore users list)")
    with store.transaction():
        store.execute("DELETE FROM web_sessions WHERE kind = 'user' AND principal = ?", [name])
        store.execute("DELETE FROM web_users WHERE username = ?", [name])


def authenticate(store: Store, username: str, password: str, at_us: int) -> str | None:
    """The username when ``password`` is right, else ``None`` (same cost either way)."""
    try:
        name = normalise_username(username)
    except LeadscoreError:
        name = None
    stored = None
    if name is not None:
        found = store.scalar("SELECT password_hash FROM web_users WHERE username = ?", [name])
        stored = None if found is None else str(found)
    if not verify_password(password, stored) or name is None:
        return None
    store.execute("UPDATE web_users SET last_login_at_us = ? WHERE username = ?", [at_us, name])
    return name


def user_exists(store: Store, username: str) -> bool:
    return bool(store.scalar("SELECT count(*) FROM web_users WHERE username = ?", [username]))
