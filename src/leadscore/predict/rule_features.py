"""The rule model's per-rule points and named scores as features, at each snapshot time.

They come from the rule compiler (:func:`leadscore.compile.contacts.compile_contacts`), so they
are exactly the rule scores at that time (only events with ``ts <= snapshot`` count). The
compiled query depends on the time only through ``CAST(T AS BIGINT)`` literals: it is compiled
once at a stand-in time and the literal is swapped for each snapshot (compiling costs about a
second; a test checks that the swap equals a fresh compile).

When the store already holds the rule scores of every pair's contact at that time with the same
model (the ``scores`` table after ``leadscore score --as-of T``), and no event or contact
arrived after that scoring run started, they are read from there instead of being computed
again.
"""

from __future__ import annotations

import functools
import json
from typing import TYPE_CHECKING

from sqlglot import exp

from leadscore.compile.dialects import Dialect, get_dialect
from leadscore.compile.sqlutil import and_all, col, integer
from leadscore.predict.featureinfo import FeatureInfo

if TYPE_CHECKING:
    from leadscore.model.spec import Model
    from leadscore.predict.plan import FeaturePlan
    from leadscore.store.base import Store

RULE_FEATURES = "_ls_rule_features"
RULE_KINDS = ("rule_points", "score")
_STAND_IN_US = 7_258_118_399_999_999
# pairs at one time that are at least this share of the contacts are scored without filtering
# the events by their contacts first (a semi-join on every event costs more than it saves)
MOST_SHARE = 0.5


def _source(info: FeatureInfo) -> str:
    """The column of the compiled query (and of the ``scores`` table) behind a feature."""
    from leadscore.compile.naming import rule_col, score_col

    if info.kind == "rule_points":
        assert info.rule_id is not None
        return rule_col(info.rule_id, "points")
    score = str(info.extra["score"])
    return "total" if score == "total" else score_col(score)


def rule_features_sql(
    model: Model,
    plan: FeaturePlan,
    dialect: str | Dialect,
    examples: str,
    at_us: int = _STAND_IN_US,
    most: bool = False,
) -> str:
    """The SELECT of ``row_id`` and the rule features of the pairs at ``at_us`` (by default
    the stand-in time that :func:`at_time` replaces). ``most``: the pairs at that time are
    most of the contacts (as when scoring everyone), so the rule model runs on every contact
    instead of filtering the events by the pairs' contacts first (the join keeps the same
    rows either way)."""
    from leadscore.compile.contacts import compile_contacts

    d = get_dialect(dialect)
    at_s = exp.EQ(this=col("snapshot_us"), expression=integer(at_us))
    ids = exp.select("contact_id").from_(examples).where(at_s)
    compiled = compile_contacts(model, at_us, d, contact_ids=None if most else ids)
    picked: list[exp.Expr] = [col("row_id", "x")]
    picked += [exp.alias_(col(_source(i), "q"), i.name) for i in plan.infos if i.kind in RULE_KINDS]
    query = (
        exp.select(*picked)
        .from_(exp.Subquery(this=compiled.query, alias=exp.TableAlias(this=exp.to_identifier("q"))))
        .join(
            exp.alias_(exp.to_table(examples), "x", table=True),
            on=and_all(
                [
                    exp.EQ(this=col("contact_id", "x"), expression=col("contact_id", "q")),
                    exp.EQ(this=col("snapshot_us", "x"), expression=integer(at_us)),
                ]
            ),
        )
    )
    return d.sql(query, pretty=False)


def at_time(sql: str, snapshot_us: int) -> str:
    """The query of :func:`rule_features_sql` at the stand-in time, moved to ``snapshot_us``."""
    return sql.replace(str(_STAND_IN_US), str(int(snapshot_us)))


@functools.lru_cache(maxsize=8)
def _template(model_text: str, infos_text: str, dialect: str, examples: str, most: bool) -> str:
    from leadscore.predict.plan import FeaturePlan, _load_rule_model

    infos = tuple(FeatureInfo.from_dict(d) for d in json.loads(infos_text))
    plan = FeaturePlan(infos=infos, source="store")
    model = _load_rule_model(model_text)
    return rule_features_sql(model, plan, dialect, examples, most=most)


def _from_stored_scores(store: Store, plan: FeaturePlan, model: Model, examples: str) -> bool:
    """Copy the rule features from the ``scores`` table when it holds them for every pair
    (one snapshot time, scored at that time with this model); True when it did."""
    from leadscore.scoring.run import model_hash

    if not store.has_table("scores"):
        return False
    times = store.rows(f"SELECT DISTINCT snapshot_us FROM {examples}")
    if len(times) != 1:
        return False
    t = int(times[0]["snapshot_us"])
    runs = store.rows("SELECT DISTINCT as_of_us, model_hash, run_id FROM scores")
    if len(runs) != 1 or (runs[0]["as_of_us"], runs[0]["model_hash"]) != (t, model_hash(model)):
        return False
    # and nothing arrived since that run started (else its scores may be stale)
    started = store.scalar(
        "SELECT min(started_at_us) FROM score_runs WHERE run_id = ? AND entity = 'contacts'",
        [runs[0]["run_id"]],
    )
    latest = store.scalar(
        "SELECT greatest(coalesce((SELECT max(received_at_us) FROM events), 0), "
        "coalesce((SELECT max(updated_at_us) FROM contacts), 0))"
    )
    if started is None or latest is None or int(latest) >= int(started):
        return False
    missing = store.scalar(
        f"SELECT count(*) FROM {examples} x LEFT JOIN scores s ON s.contact_id = x.contact_id "
        "WHERE s.contact_id IS NULL"
    )
    if missing:
        return False
    columns = ", ".join(f"s.{_source(i)} AS {i.name}" for i in plan.infos if i.kind in RULE_KINDS)
    store.create_table_as(
        RULE_FEATURES,
        f"SELECT x.row_id AS row_id, {columns} FROM {examples} x "
        "JOIN scores s ON s.contact_id = x.contact_id",
        temp=True,
    )
    return True


def build_rule_features(store: Store, plan: FeaturePlan, model: Model, examples: str) -> None:
    """Materialise the rule features of every pair in :data:`RULE_FEATURES`."""
    from leadscore.predict.plan import model_json

    store.drop_table(RULE_FEATURES)
    if _from_stored_scores(store, plan, model, examples):
        return
    rule_infos = [i.as_dict() for i in plan.infos if i.kind in RULE_KINDS]
    infos_text = json.dumps(rule_infos, sort_keys=True)
    text = plan.rule_model_json or model_json(model)
    snapshots = store.rows(
        f"SELECT snapshot_us, count(*) AS n FROM {examples} GROUP BY snapshot_us ORDER BY 1"
    )
    contacts = int(store.scalar("SELECT count(*) FROM contacts"))
    names = ["row_id", *[i.name for i in plan.infos if i.kind in RULE_KINDS]]
    for i, row in enumerate(snapshots or [{"snapshot_us": 0, "n": 0}]):  # no pairs: empty table
        most = int(row["n"]) >= MOST_SHARE * contacts
        template = _template(text, infos_text, store.dialect, examples, most)
        assert template.count(str(_STAND_IN_US)) >= 2
        sql = at_time(template, int(row["snapshot_us"]))
        if i == 0:
            store.create_table_as(RULE_FEATURES, sql, temp=True)
        else:
            store.insert_select(RULE_FEATURES, names, sql)
