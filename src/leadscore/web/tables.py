"""The web app's own tables, next to the workspace's data (DuckDB file or PostgreSQL schema).

``ensure_tables`` creates them when missing (idempotent); the app runs it once per workspace
before the first web request, and ``leadscore users`` before it writes. Times are UTC epoch
microseconds, as everywhere in the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from leadscore.store.base import Store

# name -> (columns, unique key); the types read the same on DuckDB and PostgreSQL
WEB_TABLES: dict[str, tuple[list[tuple[str, str]], tuple[str, ...]]] = {
    "web_users": (
        [
            ("username", "VARCHAR NOT NULL"),
            ("password_hash", "VARCHAR NOT NULL"),  # scrypt$n$r$p$salt$hash (see passwords.py)
            ("created_at_us", "BIGINT NOT NULL"),
            ("last_login_at_us", "BIGINT"),
        ],
        ("username",),
    ),
    "web_sessions": (
        [
            ("session_hash", "VARCHAR NOT NULL"),  # SHA-256 of the token; the token is not kept
            ("kind", "VARCHAR NOT NULL"),  # user | key
            ("principal", "VARCHAR NOT NULL"),  # the username, or the API key id
            ("csrf_token", "VARCHAR NOT NULL"),
            ("created_at_us", "BIGINT NOT NULL"),
            ("seen_at_us", "BIGINT NOT NULL"),
            ("expires_at_us", "BIGINT NOT NULL"),
        ],
        ("session_hash",),
    ),
    "web_segments": (
        [
            ("segment_id", "VARCHAR NOT NULL"),
            ("name", "VARCHAR NOT NULL"),
            ("filter", "VARCHAR NOT NULL"),  # JSON: the list's query parameters
            ("created_by", "VARCHAR NOT NULL"),
            ("created_at_us", "BIGINT NOT NULL"),
        ],
        ("segment_id",),
    ),
    "web_meta": ([("key", "VARCHAR NOT NULL"), ("value", "VARCHAR NOT NULL")], ("key",)),
}


def create_statements() -> list[str]:
    """DDL for every web table and its unique index (runs on DuckDB and PostgreSQL)."""
    out = []
    for name, (columns, key) in WEB_TABLES.items():
        cols = ", ".join(f"{column} {kind}" for column, kind in columns)
        out.append(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")
        out.append(f"CREATE UNIQUE INDEX IF NOT EXISTS {name}_key ON {name} ({', '.join(key)})")
    return out


def ensure_tables(store: Store) -> None:
    """Create the web tables that are missing."""
    for statement in create_statements():
        store.execute(statement)


def meta_value(store: Store, key: str) -> str | None:
    found = store.scalar("SELECT value FROM web_meta WHERE key = ?", [key])
    return None if found is None else str(found)


def set_meta_once(store: Store, key: str, value: str) -> str:
    """Store ``value`` under ``key`` unless a value is there already; return the stored one
    (two processes racing agree on the first)."""
    existing = meta_value(store, key)
    if existing is not None:
        return existing
    try:
        store.execute("INSERT INTO web_meta VALUES (?, ?)", [key, value])
    except Exception:  # another writer got there first: theirs stands
        existing = meta_value(store, key)
        if existing is None:
            raise
        return existing
    return value
