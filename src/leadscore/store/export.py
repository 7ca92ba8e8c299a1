"""Export scored leads (from the last scoring run) to CSV, JSON Lines or Parquet, for a CRM or an
ad platform.

One row per lead, best first: the id, ``account_id``, ``email`` (contacts with that attribute),
``total``, each named score, ``grade``, ``stage``, ``matrix`` (when the model has one), ``reasons``
(the rules that added or took the most points), ``as_of`` and ``model``. The file is written next
to the target under a temporary name and renamed at the end: a failed export leaves no file (and
an existing file untouched).
"""

from __future__ import annotations

import contextlib
import csv
import functools
import gzip
import json
import os
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from leadscore.errors import LeadscoreError, did_you_mean, one_of
from leadscore.scoring.breakdown import KEYS
from leadscore.store.schema import SCORE_TABLES

if TYPE_CHECKING:
    from leadscore.model.spec import EntitySection, Model
    from leadscore.scoring.breakdown import RowReasons
    from leadscore.store.duckdb_store import DuckStore

EXPORT_FORMATS = ("csv", "jsonl", "parquet")
_SUFFIXES = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}
FETCH_ROWS = 5_000
FIXED = (
    *KEYS.values(),
    *("total", "grade", "stage", "matrix", "reasons", "as_of", "model", "email"),
)


def export_format(path: Path, fmt: str | None) -> str:
    if fmt is not None:
        name = {"ndjson": "jsonl", "pq": "parquet"}.get(fmt.lower(), fmt.lower())
        if name not in EXPORT_FORMATS:
            raise LeadscoreError(
                f"unknown export format '{fmt}'; use {one_of(EXPORT_FORMATS)}."
                + did_you_mean(fmt, EXPORT_FORMATS)
            )
        return name
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes[-2:] == [".csv", ".gz"]:
        return "csv"
    if suffixes and suffixes[-1] in _SUFFIXES:
        return _SUFFIXES[suffixes[-1]]
    raise LeadscoreError(
        f"{path.name}: cannot tell the format from the extension; name it .csv, .csv.gz, .jsonl "
        "or .parquet, or pass the format (--format csv)"
    )


def grade_labels(section: EntitySection) -> list[str]:
    """Every grade the section can give, best first."""
    primary = section.primary()
    if primary == "matrix" and section.matrix is not None:
        rows = section.grades[section.matrix.rows].labels()
        cols = section.grades[section.matrix.columns].labels()
        return [r + c for r in rows for c in cols]
    if primary is None:
        return []
    return section.grades[primary].labels()


def stage_labels(section: EntitySection) -> list[str]:
    primary = section.primary()
    if primary == "matrix" and section.matrix is not None:
        return list(section.matrix.stages)
    if primary is None:
        return []
    return list(dict.fromkeys(b.stage for b in section.grades[primary].bands if b.stage))


def _check_choices(option: str, chosen: Sequence[str] | None, allowed: list[str]) -> None:
    for value in chosen or ():
        if value not in allowed:
            listed = ", ".join(f"'{a}'" for a in allowed) or "none (the model has no grades)"
            raise LeadscoreError(
                f"unknown {option} '{value}'; the {option}s are: {listed}."
                + did_you_mean(value, allowed)
            )


def output_columns(model: Model, entity: str) -> list[str]:
    section = model.sections()[entity]
    columns = [KEYS[entity]]
    if entity in ("contacts", "deals"):
        columns.append("account_id")
    if entity == "contacts":
        columns.append("email")
    columns.append("total")
    columns += [score_name(name) for name in section.scores]
    columns += ["grade", "stage"]
    if section.matrix is not None:
        columns.append("matrix")
    return [*columns, "reasons", "as_of", "model"]


def score_name(name: str) -> str:
    """The export column of a named score (its name, unless that is a fixed column's)."""
    return f"score_{name}" if name in FIXED else name


def _columns(
    store: DuckStore, model: Model, entity: str, table: str, reasons_of: RowReasons
) -> list[str]:
    """The stored columns an export reads (not the rules' other state: kept times, periods);
    an error naming the first one missing when the model changed since the scores were
    written."""
    from leadscore.compile.naming import score_col

    section = model.sections()[entity]
    needed = [KEYS[entity], "total", *(score_col(name) for name in section.scores)]
    needed += [name for rule in reasons_of.rules for name in rule.names]
    present = set(store.columns(table))
    for column in needed:
        if column not in present:
            raise LeadscoreError(
                f"the stored scores lack the column '{column}' of model '{model.name}' (the "
                "model changed since the last run); run leadscore score again"
            )
    optional = ["account_id", "grade", "stage", "matrix", "as_of_us", "model_name"]
    return needed + [c for c in optional if c in present]


def _query(
    store: DuckStore,
    model: Model,
    entity: str,
    grade: Sequence[str] | None,
    stage: Sequence[str] | None,
    min_score: float | None,
    limit: int | None,
    reasons_of: RowReasons,
) -> tuple[str, list[Any]]:
    table = SCORE_TABLES[entity]
    if not store.has_table(table):
        raise LeadscoreError(f"no {entity} have been scored yet; run: leadscore score")
    stored_model = store.scalar(f"SELECT any_value(model_name) FROM {table}")
    if stored_model is not None and stored_model != model.name:
        raise LeadscoreError(
            f"the stored scores come from model '{stored_model}', not '{model.name}'; "
            "run leadscore score again"
        )
    key = KEYS[entity]
    picked = ", ".join(f"s.{c}" for c in _columns(store, model, entity, table, reasons_of))
    email = (
        ", json_extract_string(c.attributes, '$.email') AS _email" if entity == "contacts" else ""
    )
    join = " LEFT JOIN contacts c ON c.contact_id = s.contact_id" if entity == "contacts" else ""
    clauses: list[str] = []
    params: list[Any] = []
    for column, values in (("grade", grade), ("stage", stage)):
        if values:
            clauses.append(f"s.{column} IN ({', '.join('?' for _ in values)})")
            params += list(values)
    if min_score is not None:
        clauses.append("s.total >= ?")
        params.append(float(min_score))
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    sql = f"SELECT {picked}{email} FROM {table} s{join}{where} ORDER BY s.total DESC, s.{key}"
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    return sql, params


def _rows(
    store: DuckStore,
    model: Model,
    entity: str,
    sql: str,
    params: list[Any],
    reasons_of: RowReasons,
) -> Iterator[dict[str, Any]]:
    from leadscore.compile.naming import score_col
    from leadscore.scoring.breakdown import reasons_text
    from leadscore.timeutil import iso

    section = model.sections()[entity]
    key = KEYS[entity]
    as_of_text = functools.lru_cache(maxsize=64)(iso)  # most rows share a run's time
    cursor = store.con.execute(sql, params)
    names = [d[0] for d in cursor.description or []]
    while batch := cursor.fetchmany(FETCH_ROWS):
        for values in batch:
            row = dict(zip(names, values, strict=True))
            try:
                reasons = reasons_text(reasons_of(row))
            except KeyError as exc:
                raise LeadscoreError(
                    f"the stored scores lack the column {exc} of model '{model.name}' (the model "
                    "changed since the last run); run leadscore score again"
                ) from None
            out: dict[str, Any] = {key: row[key]}
            if entity in ("contacts", "deals"):
                out["account_id"] = row.get("account_id")
            if entity == "contacts":
                out["email"] = row.get("_email")
            out["total"] = row["total"]
            for name in section.scores:
                out[score_name(name)] = row[score_col(name)]
            out["grade"] = row.get("grade")
            out["stage"] = row.get("stage")
            if section.matrix is not None:
                out["matrix"] = row.get("matrix")
            out["reasons"] = reasons
            as_of = row.get("as_of_us")
            out["as_of"] = as_of_text(int(as_of)) if as_of is not None else None
            out["model"] = row.get("model_name")
            yield out


def export_scores(
    store: DuckStore,
    model: Model,
    path: str | Path,
    *,
    fmt: str | None = None,
    entity: str = "contacts",
    grade: list[str] | None = None,
    stage: list[str] | None = None,
    min_score: float | None = None,
    limit: int | None = None,
) -> int:
    """Write the stored scores of ``entity`` (best first, filtered) to ``path``; return the number
    of rows written. The format comes from ``fmt`` or the extension (.csv, .csv.gz, .jsonl,
    .parquet)."""
    target = Path(path)
    chosen = export_format(target, fmt)
    sections = model.sections()
    if entity not in SCORE_TABLES or entity not in sections:
        raise LeadscoreError(
            f"cannot export {entity}: the model '{model.name}' scores {one_of(sections)}"
        )
    section = sections[entity]
    _check_choices("grade", grade, grade_labels(section))
    _check_choices("stage", stage, stage_labels(section))
    if limit is not None and limit < 0:
        raise LeadscoreError(f"limit must be 0 or more (got {limit})")
    if not target.parent.is_dir():
        raise LeadscoreError(f"cannot write {target}: the folder {target.parent} does not exist")
    from leadscore.scoring.breakdown import RowReasons

    reasons_of = RowReasons(model, entity)  # the rules' columns, read and explained
    sql, params = _query(store, model, entity, grade, stage, min_score, limit, reasons_of)
    columns = output_columns(model, entity)
    rows = _rows(store, model, entity, sql, params, reasons_of)
    with _atomic(target) as temp:
        if chosen == "parquet":
            return _write_parquet(temp, columns, rows, model, entity)
        gz = target.suffix.lower() == ".gz"
        with _open_text(temp, gz) as handle:
            if chosen == "csv":
                return _write_csv(handle, columns, rows)
            return _write_jsonl(handle, columns, rows)


@contextlib.contextmanager
def _atomic(target: Path) -> Iterator[Path]:
    """A temporary file next to ``target``, renamed over it only when the block succeeds."""
    fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".part")
    os.close(fd)
    temp = Path(name)
    try:
        yield temp
        os.replace(temp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()


def _open_text(path: Path, gz: bool) -> IO[str]:
    if gz:
        return gzip.open(path, "wt", encoding="utf-8", newline="")
    return path.open("w", encoding="utf-8", newline="")


def _cell(value: Any) -> Any:
    return "" if value is None else value


def _write_csv(handle: IO[str], columns: list[str], rows: Iterator[dict[str, Any]]) -> int:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(columns)
    n = 0
    for row in rows:
        writer.writerow([_cell(row[c]) for c in columns])
        n += 1
    return n


def _write_jsonl(handle: IO[str], columns: list[str], rows: Iterator[dict[str, Any]]) -> int:
    n = 0
    for row in rows:
        handle.write(json.dumps({c: row[c] for c in columns}, ensure_ascii=False) + "\n")
        n += 1
    return n


def _write_parquet(
    path: Path, columns: list[str], rows: Iterator[dict[str, Any]], model: Model, entity: str
) -> int:
    import pyarrow as pa
    import pyarrow.parquet as pq

    numeric = {"total", *(score_name(n) for n in model.sections()[entity].scores)}
    schema = pa.schema(
        [pa.field(c, pa.float64() if c in numeric else pa.string()) for c in columns]
    )
    n = 0
    with pq.ParquetWriter(path, schema) as writer:
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) >= FETCH_ROWS:
                writer.write_table(pa.Table.from_pylist(batch, schema=schema))
                n += len(batch)
                batch = []
        if batch or n == 0:
            writer.write_table(pa.Table.from_pylist(batch, schema=schema))
            n += len(batch)
    return n
