"""The tables every engine holds. Times are UTC epoch microseconds (BIGINT); attributes and
properties are flat JSON objects of text values (see :mod:`leadscore.values`)."""

from __future__ import annotations

SCHEMA_VERSION = 1

# name -> (columns, unique key). Types are written for DuckDB; the PostgreSQL engine maps them.
TABLES: dict[str, tuple[list[tuple[str, str]], tuple[str, ...]]] = {
    "contacts": (
        [
            ("contact_id", "VARCHAR NOT NULL"),
            ("account_id", "VARCHAR"),
            ("created_at_us", "BIGINT"),
            ("attributes", "VARCHAR NOT NULL"),
            ("updated_at_us", "BIGINT NOT NULL"),
        ],
        ("contact_id",),
    ),
    "events": (
        [
            ("event_id", "VARCHAR NOT NULL"),
            ("contact_id", "VARCHAR NOT NULL"),
            ("type", "VARCHAR NOT NULL"),
            ("ts_us", "BIGINT NOT NULL"),
            ("properties", "VARCHAR NOT NULL"),
            ("received_at_us", "BIGINT NOT NULL"),
        ],
        ("event_id",),
    ),
    "outcomes": (
        [
            ("outcome_id", "VARCHAR NOT NULL"),
            ("contact_id", "VARCHAR NOT NULL"),
            ("type", "VARCHAR NOT NULL"),
            ("ts_us", "BIGINT NOT NULL"),
            ("value", "DOUBLE"),
            ("properties", "VARCHAR NOT NULL"),
            ("received_at_us", "BIGINT NOT NULL"),
        ],
        ("outcome_id",),
    ),
    "accounts": (
        [
            ("account_id", "VARCHAR NOT NULL"),
            ("created_at_us", "BIGINT"),
            ("attributes", "VARCHAR NOT NULL"),
            ("updated_at_us", "BIGINT NOT NULL"),
        ],
        ("account_id",),
    ),
    "deals": (
        [
            ("deal_id", "VARCHAR NOT NULL"),
            ("account_id", "VARCHAR"),
            ("created_at_us", "BIGINT"),
            ("attributes", "VARCHAR NOT NULL"),
            ("updated_at_us", "BIGINT NOT NULL"),
        ],
        ("deal_id",),
    ),
    "deal_contacts": (
        [("deal_id", "VARCHAR NOT NULL"), ("contact_id", "VARCHAR NOT NULL")],
        ("deal_id", "contact_id"),
    ),
    "score_runs": (
        [
            ("run_id", "VARCHAR NOT NULL"),
            ("entity", "VARCHAR NOT NULL"),
            ("model_name", "VARCHAR NOT NULL"),
            ("model_hash", "VARCHAR NOT NULL"),
            ("as_of_us", "BIGINT NOT NULL"),
            ("started_at_us", "BIGINT NOT NULL"),
            ("finished_at_us", "BIGINT NOT NULL"),
            ("rows", "BIGINT NOT NULL"),
        ],
        ("run_id", "entity"),
    ),
    "meta": ([("key", "VARCHAR NOT NULL"), ("value", "VARCHAR NOT NULL")], ("key",)),
}

OUTCOME_TYPES = ("converted", "won", "lost")
# The tables that hold what users gave us (imports write here; nothing else deletes from them).
DATA_TABLES = ("contacts", "events", "outcomes", "accounts", "deals", "deal_contacts")
SCORE_TABLES = {"contacts": "scores", "accounts": "account_scores", "deals": "deal_scores"}


def create_statements() -> list[str]:
    """DDL for DuckDB (idempotent)."""
    out = []
    for name, (columns, key) in TABLES.items():
        cols = ", ".join(f"{c} {t}" for c, t in columns)
        out.append(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")
        out.append(f"CREATE UNIQUE INDEX IF NOT EXISTS {name}_key ON {name} ({', '.join(key)})")
    return out


def column_names(table: str) -> list[str]:
    return [c for c, _ in TABLES[table][0]]
