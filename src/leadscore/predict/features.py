"""Build a plan's features on the store, for every (contact, snapshot) pair at once.

The pairs sit in a temporary examples table (``row_id, contact_id, snapshot_us``). Three parts,
all SQL built with sqlglot (so the same plan renders for DuckDB, PostgreSQL or Spark):

- contact columns: attributes (numbers through the strict number syntax, categories as codes of
  the kept values) and the contact's age, joined with the rule features
  (:mod:`leadscore.predict.rule_features`);
- event features (:mod:`leadscore.predict.event_features`): narrow groups in SQL, pivoted into
  columns with numpy.

Nothing after a pair's snapshot is read: events are joined with ``ts <= snapshot`` and the rule
scores are computed as of the snapshot.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from sqlglot import exp

from leadscore.compile.dialects import Dialect, get_dialect
from leadscore.compile.sqlutil import case, col, num
from leadscore.predict.featureinfo import OTHER, FeatureInfo
from leadscore.predict.rule_features import RULE_FEATURES, RULE_KINDS, build_rule_features
from leadscore.predict.snapshots import DAY_US

if TYPE_CHECKING:
    import pandas as pd

    from leadscore.predict.plan import FeaturePlan
    from leadscore.store.base import Store

log = logging.getLogger(__name__)
EXAMPLES = "_ls_examples"
KEYS = ("row_id", "contact_id", "snapshot_us")
FLOAT = exp.DataType.build("float")
CONTACT_KINDS = ("attribute_number", "attribute_category", "contact_age")


def _contact_value(info: FeatureInfo, d: Dialect) -> exp.Expr:
    if info.kind == "contact_age":
        elapsed = exp.Paren(
            this=exp.Sub(this=col("snapshot_us", "x"), expression=col("created_at_us", "c"))
        )
        return exp.cast(exp.Div(this=elapsed, expression=num(DAY_US)), FLOAT.copy())
    assert info.attribute is not None
    value = d.prop(col("attributes", "c"), info.attribute)
    if info.kind == "attribute_number":
        return d.parse_number(value)
    # category codes: -1 missing, 0.. the kept values, len(kept) the others
    whens: list[tuple[exp.Expr, exp.Expr]] = [
        (exp.Is(this=value.copy(), expression=exp.Null()), exp.Literal.number(-1))
    ]
    for code, category in enumerate(info.categories):
        whens.append(
            (
                exp.EQ(this=value.copy(), expression=exp.Literal.string(category)),
                exp.Literal.number(code),
            )
        )
    return exp.cast(
        case(whens, exp.Literal.number(len(info.categories))), exp.DataType.build("int")
    )


def contact_query(plan: FeaturePlan, dialect: str | Dialect, with_rules: bool) -> exp.Select:
    """``row_id, contact_id, snapshot_us`` and the contact and rule features of every pair."""
    d = get_dialect(dialect)
    selected: list[exp.Expr] = [col(k, "x") for k in KEYS]
    for info in plan.infos:
        if info.kind in CONTACT_KINDS:
            selected.append(exp.alias_(_contact_value(info, d), info.name))
        elif info.kind in RULE_KINDS:
            if not with_rules:
                raise ValueError("the plan has rule features but no rule model")
            selected.append(exp.alias_(exp.cast(col(info.name, "r"), FLOAT.copy()), info.name))
    query = (
        exp.select(*selected)
        .from_(exp.alias_(exp.to_table(EXAMPLES), "x", table=True))
        .join(
            exp.alias_(exp.to_table("contacts"), "c", table=True),
            on=exp.EQ(this=col("contact_id", "c"), expression=col("contact_id", "x")),
        )
    )
    if with_rules:
        query = query.join(
            exp.alias_(exp.to_table(RULE_FEATURES), "r", table=True),
            on=exp.EQ(this=col("row_id", "r"), expression=col("row_id", "x")),
            join_type="left",
        )
    return query


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


def store_features(store: Store, plan: FeaturePlan) -> pd.DataFrame:
    """Every feature of ``plan`` for the pairs in the examples table, in ``row_id`` order:
    columns ``row_id, contact_id, snapshot_us`` then the features (numbers as float32,
    attribute numbers as float64, categories as pandas categoricals over the kept values plus
    ``(other)``)."""
    import numpy as np
    import pandas as pd

    from leadscore.predict.event_features import event_columns

    started = time.perf_counter()
    model = plan.rule_model()
    with_rules = model is not None and any(i.kind in RULE_KINDS for i in plan.infos)
    if with_rules:
        assert model is not None
        build_rule_features(store, plan, model, EXAMPLES)
        log.info("rule features in %.1fs", time.perf_counter() - started)
    try:
        sql = get_dialect(store.dialect).sql(
            contact_query(plan, store.dialect, with_rules), pretty=False
        )
        base = fetch_frame(store, sql)
    finally:
        if with_rules:
            store.drop_table(RULE_FEATURES)
    base = base.take(np.argsort(base["row_id"].to_numpy(), kind="stable")).reset_index(drop=True)
    log.info(
        "contact and rule columns of %d pairs at %.1fs", len(base), time.perf_counter() - started
    )
    row_ids = base["row_id"].to_numpy()
    events = event_columns(store, plan.infos, row_ids, EXAMPLES)
    log.info("event features at %.1fs", time.perf_counter() - started)
    columns: dict[str, object] = {k: base[k] for k in KEYS}
    for info in plan.infos:
        if info.name in events:
            columns[info.name] = events[info.name]
        elif info.kind == "attribute_category":
            codes = base[info.name].to_numpy().astype(np.int32)
            columns[info.name] = pd.Categorical.from_codes(
                codes, categories=pd.Index([*info.categories, OTHER])
            )
        elif info.kind == "attribute_number":
            columns[info.name] = base[info.name].to_numpy(dtype=np.float64, na_value=np.nan)
        else:
            columns[info.name] = base[info.name].to_numpy(dtype=np.float32, na_value=np.nan)
    return pd.DataFrame(columns)
