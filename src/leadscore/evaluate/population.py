"""Who is scored in a backtest, and what counts as converting.

As of a time T, the population is every contact that exists at T (created at or before T, or
with no creation time) and has not converted yet (no ``converted`` or ``won`` outcome at or
before T): the leads a sales team could still act on. A lead's label is 1 when its first
``converted`` or ``won`` outcome falls in the horizon ``(T, T + H]``, else 0. Nothing after
``T + H`` is read, and scores never see anything after T.

Only the :class:`~leadscore.store.base.Store` protocol is used (DuckDB and PostgreSQL alike);
every value put into SQL text is an integer or one of the constants below.
"""

from __future__ import annotations

import contextlib
import uuid
import warnings
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError
from leadscore.timeutil import UNIT_US, iso

if TYPE_CHECKING:
    import pandas as pd

    from leadscore.store.base import Store

POSITIVE_OUTCOMES = ("converted", "won")
DAY_US = UNIT_US["d"]
WEEK_US = UNIT_US["w"]


def _positive_in() -> str:
    return "(" + ", ".join(f"'{t}'" for t in POSITIVE_OUTCOMES) + ")"


def population_sql(as_of_us: int, horizon_us: int) -> str:
    """SELECT contact_id, label, converted_at_us: the leads at T and their outcome in (T, T+H]."""
    t, end = int(as_of_us), int(as_of_us) + int(horizon_us)
    positive = _positive_in()
    return (
        "SELECT c.contact_id AS contact_id, "
        "CASE WHEN f.first_us IS NULL THEN 0 ELSE 1 END AS label, "
        "f.first_us AS converted_at_us "
        "FROM contacts c "
        "LEFT JOIN (SELECT contact_id, min(ts_us) AS first_us FROM outcomes "
        f"WHERE type IN {positive} AND ts_us > {t} AND ts_us <= {end} "
        "GROUP BY contact_id) f ON f.contact_id = c.contact_id "
        f"WHERE (c.created_at_us IS NULL OR c.created_at_us <= {t}) "
        "AND NOT EXISTS (SELECT 1 FROM outcomes o WHERE o.contact_id = c.contact_id "
        f"AND o.type IN {positive} AND o.ts_us <= {t})"
    )


@contextlib.contextmanager
def population_table(store: Store, as_of_us: int, horizon_us: int) -> Iterator[str]:
    """A temporary table holding :func:`population_sql`; dropped on the way out."""
    name = f"_ev_pop_{uuid.uuid4().hex[:12]}"
    store.create_table_as(name, population_sql(as_of_us, horizon_us), temp=True)
    try:
        yield name
    finally:
        store.drop_table(name)


def frame(store: Store, sql: str, columns: Sequence[str] = ()) -> pd.DataFrame:
    """A query's result as a DataFrame (through Arrow when the engine offers it). ``columns``
    names the columns of an empty result, which rows alone cannot tell."""
    import pandas as pd

    query = getattr(store, "query", None)
    if callable(query):
        with warnings.catch_warnings():
            # DuckDB notes that Arrow output of a DB-API result copies; fine for these sizes
            warnings.filterwarnings("ignore", message="Arrow output", category=UserWarning)
            table: Any = query(sql)
        out: pd.DataFrame = table.to_pandas()
        return out
    rows = store.rows(sql)
    if not rows:
        return pd.DataFrame(columns=list(columns))
    return pd.DataFrame(rows)


def observed_until(store: Store) -> int | None:
    """The latest time the data covers: the last event or outcome (None when there is none).

    Outcomes after it cannot be known yet, so a horizon that ends later is not fully observed.
    """
    value = store.scalar(
        "SELECT max(m) FROM (SELECT max(ts_us) AS m FROM events "
        "UNION ALL SELECT max(ts_us) AS m FROM outcomes) t"
    )
    return None if value is None else int(value)


def check_horizons(
    as_of: list[int], horizon_us: int, observed_us: int | None, allow_partial: bool
) -> list[str]:
    """Refuse (or, when ``allow_partial``, warn about) dates whose horizon is not observed."""
    if observed_us is None:
        raise LeadscoreError("the workspace holds no events or outcomes: nothing to backtest")
    late = [t for t in as_of if t + horizon_us > observed_us]
    if not late:
        return []
    latest = when((observed_us - horizon_us) // DAY_US * DAY_US)
    dates = ", ".join(when(t) for t in late)
    if not allow_partial:
        raise LeadscoreError(
            f"the horizon after {dates} is not fully observed (the data ends "
            f"{when(observed_us)}); choose an as-of date on or before {latest}, "
            "or allow a partial horizon"
        )
    return [
        f"partial horizon: the data ends {when(observed_us)}, so conversions after it are "
        f"missing for {dates}; conversion rates there are too low"
    ]


def when(us: int) -> str:
    """A time for messages: the date, with hours and minutes unless it is midnight."""
    text = iso(us)
    return text[:10] if text.endswith("T00:00:00Z") else text[:16].replace("T", " ") + " UTC"


def latest_as_of(store: Store, horizon_us: int) -> int:
    """The latest as-of date whose horizon is fully observed (whole UTC day)."""
    observed = observed_until(store)
    if observed is None:
        raise LeadscoreError("the workspace holds no events or outcomes: nothing to backtest")
    return (observed - horizon_us) // DAY_US * DAY_US


def rolling_dates(last_us: int, count: int, step_us: int) -> list[int]:
    """``count`` as-of dates ending at ``last_us``, ``step_us`` apart, oldest first."""
    if count < 1:
        raise LeadscoreError(f"the number of as-of dates must be at least 1, got {count}")
    return [last_us - i * step_us for i in range(count - 1, -1, -1)]
