"""The tables every engine holds. Times are UTC epoch microseconds (BIGINT); attributes and
properties are flat JSON objects of text values (see :mod:`leadscore.values`)."""

from __future__ import annotations

SCHEMA_VERSION = 1

EVENT_COLUMNS = [
    ("event_id", "VARCHAR NOT NULL"),
    ("contact_id", "VARCHAR NOT NULL"),
    ("type", "VARCHAR NOT NULL"),
    ("ts_us", "BIGINT NOT NULL"),
    ("properties", "VARCHAR NOT NULL"),
    ("received_at_us", "BIGINT NOT NULL"),
]

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
        EVENT_COLUMNS,
        ("event_id",),
    ),
    # events stored by the service but not yet in their contacts' scores (see
    # leadscore.scoring.pending): the same columns as events; emptied as they are scored
    "pending_events": (
        EVENT_COLUMNS,
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
    # --- the service: model versions, API keys, score history, alerts, webhooks -----------
    "model_versions": (
        [
            ("version", "BIGINT NOT NULL"),
            ("name", "VARCHAR NOT NULL"),
            ("yaml", "VARCHAR NOT NULL"),
            ("model_hash", "VARCHAR NOT NULL"),
            ("status", "VARCHAR NOT NULL"),  # draft | published | retired
            ("note", "VARCHAR"),
            ("created_at_us", "BIGINT NOT NULL"),
            ("published_at_us", "BIGINT"),
        ],
        ("version",),
    ),
    "api_keys": (
        [
            ("key_id", "VARCHAR NOT NULL"),
            ("name", "VARCHAR NOT NULL"),
            ("key_hash", "VARCHAR NOT NULL"),
            ("created_at_us", "BIGINT NOT NULL"),
            ("revoked_at_us", "BIGINT"),
        ],
        ("key_id",),
    ),
    "score_history": (
        [
            ("contact_id", "VARCHAR NOT NULL"),
            ("at_us", "BIGINT NOT NULL"),
            ("seq", "BIGINT NOT NULL"),
            ("cause", "VARCHAR NOT NULL"),  # event | attributes | time | model
            ("model_version", "BIGINT"),
            ("total", "DOUBLE"),
            ("grade", "VARCHAR"),
            ("stage", "VARCHAR"),
            ("old_total", "DOUBLE"),
            ("old_grade", "VARCHAR"),
            ("old_stage", "VARCHAR"),
        ],
        ("contact_id", "at_us", "seq"),
    ),
    "alerts": (
        [
            ("alert_id", "VARCHAR NOT NULL"),
            ("contact_id", "VARCHAR NOT NULL"),
            ("at_us", "BIGINT NOT NULL"),
            ("cause", "VARCHAR NOT NULL"),
            ("old_grade", "VARCHAR"),
            ("new_grade", "VARCHAR"),
            ("old_stage", "VARCHAR"),
            ("new_stage", "VARCHAR"),
            ("total", "DOUBLE NOT NULL"),
            ("payload", "VARCHAR NOT NULL"),  # the JSON body webhooks receive
        ],
        ("alert_id",),
    ),
    "webhooks": (
        [
            ("endpoint_id", "VARCHAR NOT NULL"),
            ("url", "VARCHAR NOT NULL"),
            ("secret", "VARCHAR NOT NULL"),
            ("filter", "VARCHAR NOT NULL"),  # JSON: grades, stages, directions
            ("cooldown_s", "BIGINT NOT NULL"),
            ("max_attempts", "BIGINT NOT NULL"),
            ("active", "BOOLEAN NOT NULL"),
            ("created_at_us", "BIGINT NOT NULL"),
        ],
        ("endpoint_id",),
    ),
    "deliveries": (
        [
            ("delivery_id", "VARCHAR NOT NULL"),
            ("endpoint_id", "VARCHAR NOT NULL"),
            ("alert_id", "VARCHAR NOT NULL"),
            ("status", "VARCHAR NOT NULL"),  # pending | delivered | dead
            ("attempts", "BIGINT NOT NULL"),
            ("next_attempt_at_us", "BIGINT"),
            ("last_status_code", "BIGINT"),
            ("last_error", "VARCHAR"),
            ("created_at_us", "BIGINT NOT NULL"),
            ("updated_at_us", "BIGINT NOT NULL"),
        ],
        ("delivery_id",),
    ),
}

OUTCOME_TYPES = ("converted", "won", "lost")
# The tables that hold what users gave us (imports write here; nothing else deletes from them).
DATA_TABLES = ("contacts", "events", "outcomes", "accounts", "deals", "deal_contacts")
SCORE_TABLES = {"contacts": "scores", "accounts": "account_scores", "deals": "deal_scores"}


# secondary indexes: (name, table, columns)
INDEXES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("deliveries_due", "deliveries", ("status", "next_attempt_at_us")),
    ("deliveries_endpoint", "deliveries", ("endpoint_id", "created_at_us")),
    ("alerts_contact", "alerts", ("contact_id",)),
    # rescoring a few contacts looks their events up here (see leadscore.scoring.slices)
    ("events_contact", "events", ("contact_id",)),
)


def index_statement(name: str, table: str, columns: tuple[str, ...]) -> str:
    """DDL of a secondary index (idempotent; the same on DuckDB and PostgreSQL)."""
    return f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({', '.join(columns)})"


def create_statements() -> list[str]:
    """DDL for DuckDB (idempotent)."""
    out = []
    for name, (columns, key) in TABLES.items():
        cols = ", ".join(f"{c} {t}" for c, t in columns)
        out.append(f"CREATE TABLE IF NOT EXISTS {name} ({cols})")
        out.append(f"CREATE UNIQUE INDEX IF NOT EXISTS {name}_key ON {name} ({', '.join(key)})")
    for index, table, indexed in INDEXES:
        out.append(index_statement(index, table, indexed))
    return out


def column_names(table: str) -> list[str]:
    return [c for c, _ in TABLES[table][0]]
