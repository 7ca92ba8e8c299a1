"""The leads list: every scored lead with its scores, predictive score, grade and stage,
filtered, searched, sorted, and paged by keyset so that page 10,000 costs what page 1 does.

A page is read in two steps: the ids of the page (a top-N over two narrow columns of the
scores table), then the columns the list shows for just those leads. On DuckDB the second
step reads rows by ``rowid`` in the same transaction as the first (in a column store without an
index, finding 50 rows by id costs a scan of every id). Sorting by the predictive score walks
the predictions table from the top in growing windows and keeps the leads that pass the
filters, instead of joining every lead with every prediction. Measured figures:
docs/benchmarks.md ("Web app").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from leadscore.web.queries.filters import Cursor, LeadFilter, Sort
from leadscore.web.queries.search import SearchIndex, token_clause

if TYPE_CHECKING:
    from leadscore.model.spec import Model
    from leadscore.service.reads import ScoredModels
    from leadscore.store.base import Store

PAGE_SIZES = (25, 50, 100)
DEFAULT_PAGE_SIZE = 50
REASONS = 2
WINDOW = 2_000  # the first window of predictions looked at when sorting by predictive score
MISSING_LOW, MISSING_HIGH = -1, 1_000  # where leads without a predictive score sort (last)
NO_PREDICTION = "NOT EXISTS (SELECT 1 FROM predictions p WHERE p.contact_id = s.contact_id)"
EXPORT_CHUNK = 20_000
FOUND = "_web_found"  # a temporary table: the leads that match the current search or account
BASE_COLUMNS = ("contact_id", "account_id", "total", "grade", "stage", "as_of_us")


@dataclass(frozen=True)
class Query:
    """Everything that selects one page of the list."""

    filter: LeadFilter = field(default_factory=LeadFilter)
    sort: Sort = field(default_factory=lambda: Sort("total"))
    after: Cursor | None = None
    before: Cursor | None = None
    last: bool = False  # the last page
    start: int = 1  # the position of the first lead of the page linked from (for "51-100")
    limit: int = DEFAULT_PAGE_SIZE

    @property
    def forward(self) -> bool:
        return self.before is None and not self.last


@dataclass
class LeadPage:
    items: list[dict[str, Any]]
    count: int  # leads matching the filter
    start: int  # position of the first item, from 1
    next: Cursor | None
    prev: Cursor | None


def grade_labels(model: Model) -> list[str]:
    """The primary grade's labels, best first (matrix cells row by row)."""
    primary = model.primary()
    if primary == "matrix" and model.matrix is not None:
        rows = model.grades[model.matrix.rows].labels()
        columns = model.grades[model.matrix.columns].labels()
        return [f"{r}{c}" for r in rows for c in columns]
    if primary and primary in model.grades:
        return model.grades[primary].labels()
    return []


def stage_labels(model: Model) -> list[str]:
    """The stages the primary grade gives, best first."""
    primary = model.primary()
    if primary == "matrix" and model.matrix is not None:
        return list(model.matrix.stages)
    if primary and primary in model.grades:
        return list(dict.fromkeys(b.stage for b in model.grades[primary].bands if b.stage))
    return []


def _rank(column: str, labels: list[str]) -> tuple[str, list[Any]]:
    """A number per label, higher for better ones (so that descending is best first)."""
    if not labels:
        return "0", []
    whens = " ".join("WHEN ? THEN ?" for _ in labels)
    params: list[Any] = []
    for i, label in enumerate(labels):
        params += [label, len(labels) - i]
    return f"(CASE s.{column} {whens} ELSE 0 END)", params


def sort_expression(sort: Sort, model: Model) -> tuple[str, list[Any]]:
    """The SQL of a sort key over ``scores s`` (and ``predictions p`` for predictive)."""
    from leadscore.compile.naming import score_col

    if sort.key in ("total", "contact_id"):
        return f"s.{sort.key}", []
    if sort.key in ("grade", "stage"):
        labels = grade_labels(model) if sort.key == "grade" else stage_labels(model)
        return _rank(sort.key, labels)
    if sort.key == "predictive":
        return f"coalesce(p.score, {MISSING_LOW if sort.descending else MISSING_HIGH})", []
    return f"s.{score_col(sort.key)}", []


def keyset(
    expr: str, params: list[Any], cursor: Cursor, forward: bool, descending: bool, id_col: str
) -> tuple[str, list[Any]]:
    """The rows after (``forward``) or before ``cursor`` in the order: ``expr`` descending or
    not, then the id ascending."""
    if expr == id_col:  # sorted by the id alone
        return f"{id_col} {'<' if descending == forward else '>'} ?", [cursor.contact_id]
    op = "<" if descending == forward else ">"
    id_op = ">" if forward else "<"
    sql = f"({expr} {op} ? OR ({expr} = ? AND {id_col} {id_op} ?))"
    return sql, [*params, cursor.value, *params, cursor.value, cursor.contact_id]


def list_columns(model: Model) -> list[str]:
    """The score columns the list reads: ids, total, grade, stage, named scores, each rule's
    points (for the reasons), and what says which model scored the row."""
    from leadscore.compile.naming import rule_col, score_col

    return [
        *BASE_COLUMNS,
        *(["matrix"] if model.matrix is not None else []),
        *(score_col(name) for name in model.scores),
        *(rule_col(rule.id, "points") for _, rule in model.rules),
    ]


class _Columns:
    """Column names of one model's list, worked out once (a list reads thousands of rows)."""

    def __init__(self, model: Model):
        from leadscore.compile.naming import rule_col, score_col

        self.scores = [(name, score_col(name)) for name in model.scores]
        self.points = [(rule.id, rule_col(rule.id, "points")) for _, rule in model.rules]


_COLUMNS: dict[int, tuple[Model, _Columns]] = {}


def _columns_of(model: Model) -> _Columns:
    found = _COLUMNS.get(id(model))
    if found is None or found[0] is not model:
        if len(_COLUMNS) > 64:
            _COLUMNS.clear()
        found = _COLUMNS[id(model)] = (model, _Columns(model))
    return found[1]


@lru_cache(maxsize=4096)
def _iso(us: int) -> str:
    from leadscore.timeutil import iso

    return iso(us)


def list_item(model: Model, row: dict[str, Any], attributes: Any) -> dict[str, Any]:
    """A list row from its score columns (those of :func:`list_columns`)."""
    from leadscore.web.queries.people import person_view

    columns = _columns_of(model)
    positive: list[tuple[float, str]] = []
    lowest: tuple[float, str] | None = None
    for rule_id, column in columns.points:
        points = row[column]
        if points > 0:
            positive.append((points, rule_id))
        elif points < 0 and (lowest is None or points < lowest[0]):
            lowest = (points, rule_id)
    positive.sort(key=lambda r: -r[0])
    reasons = positive[:REASONS] + ([lowest] if lowest is not None else [])
    as_of = row.get("as_of_us")
    return {
        "contact_id": str(row["contact_id"]),
        **person_view(attributes),
        "account_id": row.get("account_id"),
        "total": float(row["total"]),
        "scores": {name: float(row[column]) for name, column in columns.scores},
        "grade": row.get("grade"),
        "stage": row.get("stage"),
        "matrix": row.get("matrix"),
        "predictive": None,
        "reasons": [{"rule": rule, "points": float(points)} for points, rule in reasons],
        "as_of": _iso(int(as_of)) if as_of is not None else None,
    }


class LeadReader:
    """Reads the list for one workspace over one store connection. ``models`` names the
    model of each score row; ``search`` is the workspace's search index; ``predictive``: the
    workspace has predictive scores.

    Use :meth:`page` (one page) and :meth:`step` (the next leads, for exports)."""

    def __init__(
        self,
        store: Store,
        models: ScoredModels,
        search: SearchIndex | None = None,
        predictive: bool = False,
    ):
        self.store = store
        self.models = models
        self.search = search or SearchIndex()
        self.predictive = predictive
        self.duck = store.dialect == "duckdb"
        self.table = "scores"  # or FOUND: the leads that match a search (see _narrow)

    # ----------------------------------------------------------------- conditions
    def _where(self, filt: LeadFilter) -> tuple[list[str], list[Any]]:
        if self.table == FOUND:  # the search and the account are applied already
            return LeadFilter(filt.grades, filt.stages, filt.min_total, filt.max_total).where("s")
        return filt.where("s")

    def _narrow(self, filt: LeadFilter, model: Model) -> None:
        """For a search or an account (selective filters on text): copy what the list filters
        and sorts on, of the leads that pass them, into a temporary table that the page's
        queries read instead of the scores table (one pass over the scores, not one per
        query). Runs in the page's transaction, so that the row ids it keeps stay valid."""
        from leadscore.compile.naming import score_col

        self.table = "scores"
        tokens = filt.tokens()
        if not tokens and not filt.account:
            return
        clauses: list[str] = []
        params: list[Any] = []
        if tokens:
            words = " AND ".join(token_clause("w") for _ in tokens)
            clauses.append(f"contact_id IN (SELECT w.contact_id FROM web_search w WHERE {words})")
            params += tokens
        if filt.account:
            clauses.append("account_id = ?")
            params.append(filt.account)
        kept = ["contact_id", "account_id", "total", "grade", "stage"]
        kept += [score_col(name) for name in model.scores]
        rid = ", rowid AS srid" if self.duck else ""
        self.store.execute(f"DROP TABLE IF EXISTS {FOUND}")
        self.store.execute(
            f"CREATE TEMP TABLE {FOUND} AS SELECT {', '.join(kept)}{rid} FROM scores "
            f"WHERE {' AND '.join(clauses)}",
            params,
        )
        self.table = FOUND

    def _rid(self) -> str:
        """The select item giving each lead's row id in the scores table (DuckDB)."""
        if not self.duck:
            return ""
        return ", s.srid AS rid" if self.table == FOUND else ", s.rowid AS rid"

    def count(self, filt: LeadFilter, model: Model) -> int:
        if filt.tokens():
            self.search.sync(self.store)
        with self.store.transaction():
            self._narrow(filt, model)
            return self._count(filt)

    def _count(self, filt: LeadFilter) -> int:
        clauses, params = self._where(filt)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        return int(self.store.scalar(f"SELECT count(*) FROM {self.table} s{where}", params))

    def grade_counts(self) -> dict[str, int]:
        rows = self.store.rows("SELECT grade, count(*) AS n FROM scores GROUP BY grade")
        return {str(r["grade"]): int(r["n"]) for r in rows if r["grade"] is not None}

    # ----------------------------------------------------------------- pages
    def page(self, query: Query, model: Model) -> LeadPage:
        """One page of leads matching ``query``."""
        if query.filter.tokens():
            self.search.sync(self.store)
        with self.store.transaction():
            self._narrow(query.filter, model)
            count = self._count(query.filter)
            keys = self._keys(query, model)
            more = len(keys) > query.limit
            keys = keys[: query.limit]
            rows = self._rows(keys, model)
        if not query.forward:
            keys.reverse()
        cursors = [Cursor(k["k"], str(k["id"])) for k in keys]
        if query.last:
            start = max(1, count - len(keys) + 1)
        elif query.before is not None:
            start = max(1, query.start - len(keys)) if more else 1
        else:
            start = max(1, query.start) if query.after is not None else 1
        if query.forward:
            next_ = cursors[-1] if more and cursors else None
            prev = cursors[0] if query.after is not None and cursors else None
        else:
            next_ = cursors[-1] if query.before is not None and cursors else None
            prev = cursors[0] if more and cursors else None
        items = [rows[str(k["id"])] for k in keys if str(k["id"]) in rows]
        return LeadPage(items, count, start, next_, prev)

    def step(self, query: Query, model: Model) -> tuple[list[dict[str, Any]], Cursor | None]:
        """The next ``query.limit`` leads of ``query`` (forward), with their contacts and
        predictive scores, and the cursor after the last one (``None`` at the end). For
        exports: the rows come in one query joined on the chunk's leads."""
        if query.filter.tokens():
            self.search.sync(self.store)
        with self.store.transaction():
            self._narrow(query.filter, model)
            keys = self._keys(query, model)
            more = len(keys) > query.limit
            keys = keys[: query.limit]
            rows = self._joined_rows(keys, model)
        items = []
        for key in keys:
            row = rows.get(str(key["id"]))
            if row is None:
                continue
            item = list_item(model, row, row["attributes"])
            if row.get("p_score") is not None:
                item["predictive"] = {"score": row["p_score"], "probability": row["p_probability"]}
            items.append(item)
        last = Cursor(keys[-1]["k"], str(keys[-1]["id"])) if more and keys else None
        return items, last

    def _keys(self, query: Query, model: Model) -> list[dict[str, Any]]:
        if query.sort.key == "predictive" and query.forward:
            return self._predictive_keys(query)
        sql, params = self._ordered(query, model, f"s.contact_id AS id{self._rid()}")
        return self.store.rows(sql, params)

    def _ordered(self, query: Query, model: Model, select: str) -> tuple[str, list[Any]]:
        """SQL for the next ``query.limit + 1`` leads of ``query`` in its order, each with its
        sort value ``k`` and the columns of ``select``.

        A top-N on two keys (the sort value, then the id) costs a few times more than on one,
        so the sort value of the last lead of the page is found first (one key) and the
        two-key query only sorts the leads at or beyond it."""
        sort, forward = query.sort, query.forward
        expr, expr_params = sort_expression(sort, model)
        clauses, params = self._where(query.filter)
        cursor = query.after if forward else query.before
        if cursor is not None:
            clause, more = keyset(
                expr, expr_params, cursor, forward, sort.descending, "s.contact_id"
            )
            clauses.append(clause)
            params += more
        walk_down = sort.descending == forward
        join = ""
        if sort.key == "predictive":
            join = " LEFT JOIN predictions p ON p.contact_id = s.contact_id"
        if expr == "s.contact_id":
            order = f"s.contact_id {'DESC' if walk_down else 'ASC'}"
        else:
            order = (
                f"k {'DESC' if walk_down else 'ASC'}, s.contact_id {'ASC' if forward else 'DESC'}"
            )
            if sort.key != "predictive":
                where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
                boundary = self.store.rows(
                    f"SELECT {expr} AS k FROM {self.table} s{where} ORDER BY k "
                    f"{'DESC' if walk_down else 'ASC'} LIMIT 1 OFFSET {int(query.limit)}",
                    [*expr_params, *params],
                )
                if boundary:
                    clauses.append(f"{expr} {'>=' if walk_down else '<='} ?")
                    params += [*expr_params, boundary[0]["k"]]
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        sql = (
            f"SELECT {select}, {expr} AS k FROM {self.table} s{join}{where} "
            f"ORDER BY {order} LIMIT {int(query.limit) + 1}"
        )
        return sql, [*expr_params, *params]

    def _predictive_keys(self, query: Query) -> list[dict[str, Any]]:
        """Forward pages by predictive score: the top of the predictions table in growing
        windows, joined with the leads that pass the filters; past them, the leads that have
        no predictive score (by id)."""
        want = int(query.limit) + 1
        descending = query.sort.descending
        clauses, params = self._where(query.filter)
        direction = "DESC" if descending else "ASC"
        missing = MISSING_LOW if descending else MISSING_HIGH
        rid = self._rid()
        cursor = query.after
        found: list[dict[str, Any]] = []
        if cursor is None or cursor.value != missing:
            inner, inner_params = "", list[Any]()
            if cursor is not None:
                inner, inner_params = keyset(
                    "p.score", [], cursor, True, descending, "p.contact_id"
                )
                inner = f" WHERE {inner}"
            outer = f" WHERE {' AND '.join(clauses)}" if clauses else ""
            total = int(self.store.scalar("SELECT count(*) FROM predictions"))
            window = max(WINDOW, want * 20)
            while True:
                sql = (
                    f"SELECT c.contact_id AS id, c.score AS k{rid} FROM ("
                    f"SELECT p.contact_id, p.score FROM predictions p{inner} "
                    f"ORDER BY p.score {direction}, p.contact_id LIMIT {window}) c "
                    f"JOIN {self.table} s ON s.contact_id = c.contact_id{outer} "
                    f"ORDER BY k {direction}, id LIMIT {want}"
                )
                found = self.store.rows(sql, [*inner_params, *params])
                if len(found) >= want or window >= total:
                    break
                window *= 8
        if len(found) < want:
            tail, tail_params = [*clauses, NO_PREDICTION], list(params)
            if cursor is not None and cursor.value == missing:
                tail.append("s.contact_id > ?")
                tail_params.append(cursor.contact_id)
            sql = (
                f"SELECT s.contact_id AS id, {missing} AS k{rid} FROM {self.table} s "
                f"WHERE {' AND '.join(tail)} ORDER BY id LIMIT {want - len(found)}"
            )
            found += self.store.rows(sql, tail_params)
        return found

    # ----------------------------------------------------------------- rows
    def _score_rows(self, keys: list[dict[str, Any]], model: Model) -> str:
        """SQL (no parameters but one: the ids or row ids) of the list's columns of ``keys``."""
        columns = ", ".join(list_columns(model))
        if self.duck and keys and all(k.get("rid") is not None for k in keys):
            return f"SELECT {columns} FROM scores WHERE rowid = ANY(?)"
        return f"SELECT {columns} FROM scores WHERE contact_id = ANY(?)"

    def _score_param(self, keys: list[dict[str, Any]]) -> list[Any]:
        if self.duck and keys and all(k.get("rid") is not None for k in keys):
            return [[k["rid"] for k in keys]]
        return [[str(k["id"]) for k in keys]]

    def _rows(self, keys: list[dict[str, Any]], model: Model) -> dict[str, dict[str, Any]]:
        """The list's columns of these leads, by contact id (a page: contacts and predictions
        are looked up by id, which the contacts' index makes cheap)."""
        from leadscore.service.predictions import for_contacts

        ids = [str(k["id"]) for k in keys]
        if not ids:
            return {}
        scored = self.store.rows(self._score_rows(keys, model), self._score_param(keys))
        marks = ", ".join("?" for _ in ids)
        people = {
            str(r["contact_id"]): r["attributes"]
            for r in self.store.rows(
                f"SELECT contact_id, attributes FROM contacts WHERE contact_id IN ({marks})", ids
            )
        }
        predicted = for_contacts(self.store, ids) if self.predictive else {}
        out = {}
        for row in scored:
            contact_id = str(row["contact_id"])
            out[contact_id] = list_item(model, row, people.get(contact_id))
            out[contact_id]["predictive"] = predicted.get(contact_id)
        return out

    def _joined_rows(self, keys: list[dict[str, Any]], model: Model) -> dict[str, dict[str, Any]]:
        """The list's columns of many leads with their contacts and predictions, in one query
        (an export chunk: joins beat thousands of lookups)."""
        if not keys:
            return {}
        select = "x.*, c.attributes AS attributes"
        joins = " LEFT JOIN contacts c ON c.contact_id = x.contact_id"
        if self.predictive:
            select += ", p.score AS p_score, p.probability AS p_probability"
            joins += " LEFT JOIN predictions p ON p.contact_id = x.contact_id"
        sql = f"SELECT {select} FROM ({self._score_rows(keys, model)}) x{joins}"
        rows = self.store.rows(sql, self._score_param(keys))
        return {str(r["contact_id"]): r for r in rows}


def scored_model(store: Store, models: ScoredModels, active: Model) -> Model:
    """The model whose columns the scores table has: the active one, except for the moment
    a new version is being published (the table is replaced when its transaction commits)."""
    rows = store.rows("SELECT model_hash, run_id FROM scores LIMIT 1")
    return models.for_row(store, rows[0])[1] if rows else active


def export_chunks(
    reader: Callable[[], AbstractContextManager[LeadReader]],
    query: Query,
    model: Model,
    size: int = EXPORT_CHUNK,
) -> Iterator[list[dict[str, Any]]]:
    """Every lead matching ``query`` in its order, ``size`` at a time. Each chunk is its own
    keyset step, run on a reader opened for it (a streamed response may move between
    threads, and a connection belongs to one), so a long export holds no transaction open."""
    after: Cursor | None = None
    while True:
        with reader() as leads:
            items, after = leads.step(
                Query(query.filter, query.sort, after=after, limit=size), model
            )
        if items:
            yield items
        if after is None:
            return
