"""The impact of publishing a draft, computed without changing anything stored.

The draft scores every contact as of T into a temporary table; a second temporary table pairs
each contact's draft score with its stored current score (table ``scores``), and every figure
is read from that pair table, so they all describe the same snapshot. Both temporary tables
are dropped before returning, whatever happens. Only the :class:`~leadscore.store.base.Store`
protocol is used, so this runs on DuckDB and PostgreSQL alike.
"""

from __future__ import annotations

import math
import uuid
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from leadscore.model.spec import Model
    from leadscore.store.base import Store

BIN_WIDTH = 10.0
# totals that differ by less than this (relative, at least absolute for small values) are equal;
# the tolerance the engines are compared with
TOLERANCE = 1e-9
STORED, COMPUTED = "stored", "computed"


def grade_order(model: Model) -> list[str]:
    """The labels of the model's primary grade, best first (matrix cells row by row)."""
    primary = model.primary()
    if primary is None:
        return []
    if primary == "matrix":
        assert model.matrix is not None
        rows = model.grades[model.matrix.rows].labels()
        columns = model.grades[model.matrix.columns].labels()
        return [r + c for r in rows for c in columns]
    return model.grades[primary].labels()


def _stage_order(model: Model) -> list[str]:
    primary = model.primary()
    if primary is None:
        return []
    if primary == "matrix":
        assert model.matrix is not None
        return list(model.matrix.stages)
    return list(dict.fromkeys(b.stage for b in model.grades[primary].bands if b.stage))


def _axis(preferred: list[str], seen: set[str | None]) -> list[str | None]:
    """Labels in the model's order, then other labels found, sorted, then None (not scored)."""
    out: list[str | None] = [label for label in preferred if label in seen]
    out += sorted(str(label) for label in seen if label is not None and label not in preferred)
    if None in seen:
        out.append(None)
    return out


def _scored_query(model: Model, as_of_us: int, dialect: str) -> str:
    from leadscore.compile.contacts import compile_contacts

    sql = compile_contacts(model, as_of_us, dialect).sql(dialect, pretty=False)
    return f"SELECT contact_id, total, grade, stage FROM ({sql}) AS q"


def _changed(old: str, new: str) -> str:
    """SQL: the totals differ beyond the tolerance."""
    return f"abs({new} - {old}) > {TOLERANCE!r} * greatest(1.0, abs({old}))"


def _pairs_sql(old_table: str, new_table: str) -> str:
    return (
        "SELECT coalesce(n.contact_id, o.contact_id) AS contact_id, "
        "CASE WHEN o.contact_id IS NULL THEN 0 ELSE 1 END AS in_old, "
        "CASE WHEN n.contact_id IS NULL THEN 0 ELSE 1 END AS in_new, "
        "o.total AS old_total, n.total AS new_total, o.grade AS old_grade, "
        "n.grade AS new_grade, o.stage AS old_stage, n.stage AS new_stage "
        f"FROM {old_table} o FULL OUTER JOIN {new_table} n ON o.contact_id = n.contact_id"
    )


def _baseline(store: Store, current: Model, recompute: bool) -> dict[str, Any] | None:
    """What the stored scores are, or None when there are none (or a recompute is asked)."""
    from leadscore.scoring.run import model_hash
    from leadscore.timeutil import iso

    if recompute or not store.has_table("scores"):
        return None
    row = store.rows("SELECT min(as_of_us) AS lo, max(as_of_us) AS hi FROM scores")[0]
    hashes = {r["model_hash"] for r in store.rows("SELECT DISTINCT model_hash FROM scores")}
    return {
        "source": STORED,
        "as_of_min": iso(int(row["lo"])) if row["lo"] is not None else None,
        "as_of_max": iso(int(row["hi"])) if row["hi"] is not None else None,
        "same_model": hashes <= {model_hash(current)},
    }


def preview_impact(
    store: Store,
    current: Model,
    draft: Model,
    as_of_us: int,
    top: int = 20,
    recompute: bool = False,
) -> dict[str, Any]:
    """See :func:`leadscore.service.model_ops.preview`."""
    from leadscore.timeutil import iso

    tag = uuid.uuid4().hex[:12]
    new_table, old_table, pairs = f"_preview_new_{tag}", f"_preview_old_{tag}", f"_preview_{tag}"
    created: list[str] = []
    try:
        baseline = _baseline(store, current, recompute)
        source = "scores"
        if baseline is None:
            store.create_table_as(
                old_table, _scored_query(current, as_of_us, store.dialect), temp=True
            )
            created.append(old_table)
            source = old_table
            baseline = {"source": COMPUTED, "as_of_min": iso(as_of_us), "as_of_max": iso(as_of_us)}
            baseline["same_model"] = True
        store.create_table_as(new_table, _scored_query(draft, as_of_us, store.dialect), temp=True)
        created.append(new_table)
        store.create_table_as(pairs, _pairs_sql(source, new_table), temp=True)
        created.append(pairs)
        result = _figures(store, pairs, current, draft, top)
    finally:
        for table in reversed(created):
            store.drop_table(table)
    warnings = []
    if not baseline["same_model"]:
        warnings.append(
            "the stored scores were not all computed with the current model, so the changes "
            "include that difference; preview with recompute to compare the models only"
        )
    return {
        "as_of": iso(as_of_us),
        "model": {"current": current.name, "draft": draft.name},
        "baseline": baseline,
        **result,
        "warnings": warnings,
    }


def _figures(store: Store, pairs: str, current: Model, draft: Model, top: int) -> dict[str, Any]:
    counts = store.rows(
        "SELECT count(*) AS contacts, "
        "coalesce(sum(in_old * in_new), 0) AS compared, "
        "coalesce(sum(CASE WHEN in_old = 0 THEN 1 ELSE 0 END), 0) AS added, "
        "coalesce(sum(CASE WHEN in_new = 0 THEN 1 ELSE 0 END), 0) AS removed, "
        "coalesce(sum(CASE WHEN in_old * in_new = 1 AND old_grade IS DISTINCT FROM new_grade "
        "THEN 1 ELSE 0 END), 0) AS changed_grade, "
        "coalesce(sum(CASE WHEN in_old * in_new = 1 AND old_stage IS DISTINCT FROM new_stage "
        "THEN 1 ELSE 0 END), 0) AS changed_stage, "
        f"coalesce(sum(CASE WHEN in_old * in_new = 1 AND {_changed('old_total', 'new_total')} "
        "THEN 1 ELSE 0 END), 0) AS changed_total, "
        "avg(old_total) AS mean_before, avg(new_total) AS mean_after "
        f"FROM {pairs}"
    )[0]
    cells = store.rows(
        "SELECT in_old, in_new, old_grade, new_grade, old_stage, new_stage, count(*) AS n "
        f"FROM {pairs} GROUP BY in_old, in_new, old_grade, new_grade, old_stage, new_stage"
    )
    before_order, after_order = grade_order(current), grade_order(draft)
    transitions, grades, moves = _transitions(cells, before_order, after_order)
    stages = _distribution(cells, "stage", _stage_order(draft) + _stage_order(current))
    return {
        "contacts": {
            "before": int(counts["compared"]) + int(counts["removed"]),
            "after": int(counts["compared"]) + int(counts["added"]),
            "compared": int(counts["compared"]),
            "new": int(counts["added"]),
            "gone": int(counts["removed"]),
        },
        "changed": {
            "total": int(counts["changed_total"]),
            "grade": int(counts["changed_grade"]),
            "stage": int(counts["changed_stage"]),
            "grade_up": moves[0],
            "grade_down": moves[1],
        },
        "transitions": transitions,
        "grades": grades,
        "stages": stages,
        "histogram": _histogram(store, pairs),
        "mean": {"before": _number(counts["mean_before"]), "after": _number(counts["mean_after"])},
        "movers": {"up": _movers(store, pairs, top, up=True), "down": _movers(store, pairs, top)},
    }


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _transitions(
    cells: list[dict[str, Any]], before_order: list[str], after_order: list[str]
) -> tuple[dict[str, Any], list[dict[str, Any]], tuple[int, int]]:
    """The old grade x new grade matrix (None: not scored on that side), the grade
    distribution before and after, and how many leads moved up and down the draft's order."""
    rows = _axis(before_order, {c["old_grade"] if c["in_old"] else None for c in cells})
    columns = _axis(after_order, {c["new_grade"] if c["in_new"] else None for c in cells})
    counts = [[0] * len(columns) for _ in rows]
    up = down = 0
    rank = {label: i for i, label in enumerate(after_order)}
    for cell in cells:
        old = cell["old_grade"] if cell["in_old"] else None
        new = cell["new_grade"] if cell["in_new"] else None
        n = int(cell["n"])
        counts[rows.index(old)][columns.index(new)] += n
        if cell["in_old"] and cell["in_new"] and old in rank and new in rank and old != new:
            if rank[str(new)] < rank[str(old)]:
                up += n
            else:
                down += n
    grades = _distribution(cells, "grade", after_order + before_order)
    return {"from": rows, "to": columns, "counts": counts}, grades, (up, down)


def _distribution(cells: list[dict[str, Any]], what: str, order: list[str]) -> list[Any]:
    """Counts per label before and after: labels in ``order``, then others sorted, then None
    (no grade or stage)."""
    before: dict[str | None, int] = {}
    after: dict[str | None, int] = {}
    for cell in cells:
        if cell["in_old"]:
            key = cell[f"old_{what}"]
            before[key] = before.get(key, 0) + int(cell["n"])
        if cell["in_new"]:
            key = cell[f"new_{what}"]
            after[key] = after.get(key, 0) + int(cell["n"])
    labels = _axis(list(dict.fromkeys(order)), set(before) | set(after))
    return [
        {what: label, "before": before.get(label, 0), "after": after.get(label, 0)}
        for label in labels
    ]


def _histogram(store: Store, pairs: str) -> dict[str, Any]:
    """Totals in ``BIN_WIDTH``-point bins ``[from, to)``, every bin between the lowest and the
    highest filled one listed."""
    found: dict[int, list[int]] = {}
    for side, index in (("old", 0), ("new", 1)):
        flag = "in_old" if side == "old" else "in_new"
        for row in store.rows(
            f"SELECT CAST(floor({side}_total / {BIN_WIDTH!r}) AS BIGINT) AS bin, count(*) AS n "
            f"FROM {pairs} WHERE {flag} = 1 GROUP BY 1"
        ):
            found.setdefault(int(row["bin"]), [0, 0])[index] = int(row["n"])
    bins = []
    if found:
        for b in range(min(found), max(found) + 1):
            before, after = found.get(b, [0, 0])
            low = b * BIN_WIDTH
            bins.append(
                {
                    "from": _clean(low),
                    "to": _clean(low + BIN_WIDTH),
                    "before": before,
                    "after": after,
                }
            )
    return {"bin_width": _clean(BIN_WIDTH), "bins": bins}


def _clean(value: float) -> float | int:
    return int(value) if math.isfinite(value) and value == int(value) else value


def _movers(store: Store, pairs: str, top: int, up: bool = False) -> list[dict[str, Any]]:
    """The ``top`` contacts whose total rises (falls) most; ties by contact id."""
    condition = _changed("old_total", "new_total")
    sign = ">" if up else "<"
    order = "DESC" if up else "ASC"
    rows = store.rows(
        "SELECT contact_id, old_total, new_total, old_grade, new_grade, old_stage, new_stage "
        f"FROM {pairs} WHERE in_old * in_new = 1 AND {condition} AND new_total {sign} old_total "
        f"ORDER BY new_total - old_total {order}, contact_id LIMIT {max(0, int(top))}"
    )
    return [
        {
            "contact_id": r["contact_id"],
            "old_total": float(r["old_total"]),
            "new_total": float(r["new_total"]),
            "change": float(r["new_total"]) - float(r["old_total"]),
            "old_grade": r["old_grade"],
            "new_grade": r["new_grade"],
            "old_stage": r["old_stage"],
            "new_stage": r["new_stage"],
        }
        for r in rows
    ]
