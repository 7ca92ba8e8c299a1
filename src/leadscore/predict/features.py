"""Build a plan's features on the store, for every (contact, snapshot) pair at once.

The pairs sit in a temporary examples table (``row_id, contact_id, snapshot_us``). Three parts,
all SQL built with sqlglot (so the same plan renders for DuckDB, PostgreSQL or Spark):

- contact columns: attributes (numbers through the strict number syntax; categories as their
  text, read once per contact and coded against the kept values in Arrow or pandas) and the
  contact's age;
- event features (:mod:`leadscore.predict.event_features`): one coded row per event in SQL,
  turned into columns with numpy (on a thread of its own, while the database computes the
  rule features);
- rule features (:mod:`leadscore.predict.rule_features`): the compiled rule model as of each
  snapshot, placed by ``row_id``.

Nothing after a pair's snapshot is read: events are joined with ``ts <= snapshot`` and the rule
scores are computed as of the snapshot.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from sqlglot import exp

from leadscore.compile.dialects import Dialect, get_dialect
from leadscore.compile.sqlutil import case, col, num
from leadscore.predict.featureinfo import OTHER, FeatureInfo
from leadscore.predict.rule_features import RULE_FEATURES, RULE_KINDS, build_rule_features
from leadscore.predict.snapshots import DAY_US

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt
    import pandas as pd

    from leadscore.model.spec import Model
    from leadscore.predict.plan import FeaturePlan
    from leadscore.store.base import Store

log = logging.getLogger(__name__)
EXAMPLES = "_ls_examples"
KEYS = ("row_id", "contact_id", "snapshot_us")
FLOAT = exp.DataType.build("float")
CONTACT_KINDS = ("attribute_number", "attribute_category", "attribute_flag", "contact_age")


def _contact_value(info: FeatureInfo, d: Dialect, attribute: dict[str, exp.Expr]) -> exp.Expr:
    """A contact column: the age in days, an attribute as a number, or its text (a category,
    coded by :func:`category_codes` rather than by a CASE per kept value); ``attribute`` reads
    each attribute from the inner query of :func:`contact_query`."""
    if info.kind == "contact_age":
        elapsed = exp.Paren(
            this=exp.Sub(this=col("snapshot_us", "x"), expression=col("created_at_us", "x"))
        )
        return exp.cast(exp.Div(this=elapsed, expression=num(DAY_US)), FLOAT.copy())
    assert info.attribute is not None
    value = attribute[info.attribute].copy()
    if info.kind == "attribute_number":
        return d.parse_number(value)
    if info.kind == "attribute_flag":  # the condition compiled as a rule's would be
        from leadscore.compile.predicates import PredicateCompiler
        from leadscore.predict.flags import predicate

        compiler = PredicateCompiler(
            d, value_of=lambda _: value.copy(), number_of=lambda _: d.parse_number(value.copy())
        )
        holds = compiler.compile(predicate(info))
        return exp.cast(case([(holds, num(1.0))], num(0.0)), FLOAT.copy())
    return value


def category_codes(values: Any, categories: Sequence[str]) -> npt.NDArray[np.int32]:
    """Codes of attribute text (an Arrow or numpy/pandas column): -1 missing, ``k`` the k-th
    kept value, ``len(categories)`` any other value (exact, case-sensitive equality)."""
    import numpy as np

    if hasattr(values, "combine_chunks") or hasattr(values, "is_null"):  # Arrow
        import pyarrow as pa
        import pyarrow.compute as pc

        found = pc.index_in(values, value_set=pa.array(list(categories), pa.string()))
        codes = found.fill_null(len(categories)).to_numpy(zero_copy_only=False)
        missing = pc.is_null(values).to_numpy(zero_copy_only=False)
    else:
        import pandas as pd

        series = pd.Series(values, dtype=object)
        codes = pd.Index(list(categories), dtype=object).get_indexer(pd.Index(series))
        missing = series.isna().to_numpy()
        codes[codes == -1] = len(categories)
    out = np.array(codes, dtype=np.int32)  # a writable copy
    out[np.asarray(missing, dtype=bool)] = -1
    return out


def contact_query(plan: FeaturePlan, dialect: str | Dialect) -> exp.Select:
    """``row_id, contact_id, snapshot_us`` and the contact features of every pair.

    The pairs joined with their contacts form an inner query that reads the attributes (on
    DuckDB every attribute in one JSON parse: :meth:`Dialect.extract`); the outer query turns
    them into features."""
    d = get_dialect(dialect)
    keys = sorted({i.attribute for i in plan.infos if i.kind in CONTACT_KINDS and i.attribute})
    items, refs = d.extract(col("attributes", "c"), keys, [None] * len(keys)) if keys else ([], [])
    inner = (
        exp.select(*[col(k, "x") for k in KEYS], col("created_at_us", "c"), *items)
        .from_(exp.alias_(exp.to_table(EXAMPLES), "x", table=True))
        .join(
            exp.alias_(exp.to_table("contacts"), "c", table=True),
            on=exp.EQ(this=col("contact_id", "c"), expression=col("contact_id", "x")),
        )
    )
    attribute = dict(zip(keys, refs, strict=True))
    selected: list[exp.Expr] = [col(k, "x") for k in KEYS]
    for info in plan.infos:
        if info.kind in CONTACT_KINDS:
            selected.append(exp.alias_(_contact_value(info, d, attribute), info.name))
    return exp.select(*selected).from_(inner.subquery("x"))


def fetch_frame(store: Store, sql: str) -> pd.DataFrame:
    """A query's result as a DataFrame (Arrow when the engine offers it)."""
    import pandas as pd

    from leadscore.store.duckdb_store import DuckStore

    if isinstance(store, DuckStore):  # Arrow straight from the relation (no DB-API copy)
        store.con.complete()  # finish a result left open by execute() (say, a fetchone)
        table = store.con.sql(sql).to_arrow_table()
        frame: pd.DataFrame = table.to_pandas(split_blocks=True, self_destruct=True)
        return frame
    return pd.DataFrame(store.rows(sql))


def fetch_columns(store: Store, sql: str) -> dict[str, Any]:
    """A query's columns by name: Arrow arrays from DuckDB (no pandas objects in between),
    else numpy arrays through :func:`fetch_frame` (no columns at all for no rows)."""
    from leadscore.store.duckdb_store import DuckStore

    if isinstance(store, DuckStore):
        store.con.complete()  # finish a result left open by execute() (say, a fetchone)
        table = store.con.sql(sql).to_arrow_table()
        return {name: table.column(name) for name in table.column_names}
    frame = fetch_frame(store, sql)
    return {str(name): frame[name].to_numpy() for name in frame.columns}


def store_features(store: Store, plan: FeaturePlan) -> pd.DataFrame:
    """Every feature of ``plan`` for the pairs in the examples table, in ``row_id`` order:
    columns ``row_id, contact_id, snapshot_us`` then the features (numbers as float32,
    attribute numbers as float64, categories as pandas categoricals over the kept values plus
    ``(other)``).

    The event features' numpy part runs on a thread of its own while the database computes the
    rule features: on a million contacts each takes seconds, and neither alone keeps both
    cores busy (docs/benchmarks.md, "Predictive scoring speed")."""
    import numpy as np
    import pandas as pd

    from leadscore.predict.event_features import fetch_event_rows
    from leadscore.predict.parallel import in_background

    started, cpu = time.perf_counter(), time.process_time()

    def note(what: str) -> None:
        log.info(
            "%s at %.1fs (%.1f CPU s)",
            what,
            time.perf_counter() - started,
            time.process_time() - cpu,
        )

    model = plan.rule_model()
    rule_infos = [i for i in plan.infos if i.kind in RULE_KINDS]
    if rule_infos and model is None:
        raise ValueError("the plan has rule features but no rule model")
    base = fetch_columns(store, get_dialect(store.dialect).sql(contact_query(plan, store.dialect)))
    row_ids = numeric_column(base.get("row_id", []), np.int64)
    order = None if bool(np.all(row_ids[1:] > row_ids[:-1])) else np.argsort(row_ids, kind="stable")
    if order is not None:
        row_ids = row_ids[order]

    def ordered(values: Any) -> Any:
        return values if order is None else values[order]

    note(f"contact columns of {len(row_ids)} pairs")
    event_rows = fetch_event_rows(store, plan.infos, EXAMPLES)
    note("event rows")
    with in_background(event_rows.features, row_ids) as events_later:
        rules: dict[str, Any] = {}
        if model is not None and rule_infos:
            rules = _rule_columns(store, plan, model, rule_infos, row_ids)
            note("rule features")
        events = events_later()
    note("event features")
    columns: dict[str, object] = {
        "row_id": row_ids,
        "contact_id": ordered(_texts(base.get("contact_id", []))),
        "snapshot_us": ordered(numeric_column(base.get("snapshot_us", []), np.int64)),
    }
    for info in plan.infos:
        if info.name in events:
            columns[info.name] = events[info.name]
        elif info.name in rules:
            columns[info.name] = rules[info.name]
        elif info.kind == "attribute_category":
            codes = ordered(category_codes(base.get(info.name, []), info.categories))
            columns[info.name] = pd.Categorical.from_codes(
                codes, categories=pd.Index([*info.categories, OTHER])
            )
        elif info.kind == "attribute_number":
            columns[info.name] = ordered(numeric_column(base.get(info.name, []), np.float64))
        else:
            columns[info.name] = ordered(numeric_column(base.get(info.name, []), np.float32))
    # the arrays are this call's own: no copy into one block (0.35 s on a million rows)
    return pd.DataFrame(columns, copy=False)


def _rule_columns(
    store: Store, plan: FeaturePlan, model: Model, infos: list[FeatureInfo], row_ids: Any
) -> dict[str, Any]:
    """The rule features (float32) of the pairs ``row_ids`` (ascending); NaN for a pair the
    rule model left out."""
    import numpy as np

    from leadscore.predict.event_features import positions

    build_rule_features(store, plan, model, EXAMPLES)
    try:
        names = ", ".join(i.name for i in infos)
        found = fetch_columns(store, f"SELECT row_id, {names} FROM {RULE_FEATURES}")
    finally:
        store.drop_table(RULE_FEATURES)
    at = positions(row_ids, numeric_column(found.get("row_id", []), np.int64))
    out: dict[str, Any] = {}
    for info in infos:
        column = np.full(len(row_ids), np.nan, dtype=np.float32)
        column[at] = numeric_column(found.get(info.name, []), np.float32)
        out[info.name] = column
    return out


def numeric_column(values: Any, dtype: Any) -> Any:
    """A numeric column as numpy (NULL as NaN for floats)."""
    import numpy as np
    import pandas as pd

    if hasattr(values, "combine_chunks"):  # Arrow
        values = values.to_numpy(zero_copy_only=False)
    if np.dtype(dtype).kind == "f":
        return pd.Series(values).to_numpy(dtype=dtype, na_value=np.nan)
    return np.asarray(values, dtype=dtype)


def _texts(values: Any) -> Any:
    """A text column as a numpy object array (what the feature table always held)."""
    import numpy as np

    if hasattr(values, "combine_chunks"):
        values = values.to_numpy(zero_copy_only=False)
    return np.asarray(values, dtype=object)
