"""Import a file of contacts, events, outcomes, accounts or deals into a store.

Read -> normalise each row (:mod:`.rows`) -> stage the good rows in a temporary table -> merge them
in one transaction at the end. A broken file raises before anything is written; bad rows are
reported and skipped; the counts reconcile (see :class:`ImportReport`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from leadscore.errors import LeadscoreError
from leadscore.store.imports.columns import ColumnPlan
from leadscore.store.imports.kinds import Kind, get_kind
from leadscore.store.imports.merge import MergeCounts, merge_entities, merge_facts
from leadscore.store.imports.readers import Reader, open_reader
from leadscore.store.imports.report import ImportReport, RowProblem
from leadscore.store.imports.rows import RowError, show
from leadscore.store.imports.source import choose_format
from leadscore.store.imports.stage import Stage

if TYPE_CHECKING:
    from leadscore.store.duckdb_store import DuckStore

Progress = Callable[[int], None]
OnReject = Callable[[RowProblem], None]


def import_file(
    store: DuckStore,
    kind: str,
    path: str | Path,
    *,
    fmt: str | None = None,
    mapping: Mapping[str, str] | None = None,
    delimiter: str | None = None,
    encoding: str = "utf-8",
    progress: Progress | None = None,
    now_us: int | None = None,
    on_reject: OnReject | None = None,
) -> ImportReport:
    """Import one file and return what happened.

    ``kind``: contacts, events, outcomes, accounts or deals. ``fmt``: csv, tsv, jsonl or parquet
    (default: from the extension; ``.gz`` files are decompressed). ``mapping``: target field ->
    source column. ``progress`` is called now and then with the number of bytes of the file read
    so far; ``on_reject`` with every rejected row (the report keeps the first 1000).
    """
    from leadscore.timeutil import now_us as current_us

    spec = get_kind(kind)
    source = Path(path)
    if not source.is_file():
        raise LeadscoreError(f"file not found: {source}")
    chosen = choose_format(source, fmt)
    now = current_us() if now_us is None else now_us
    report = ImportReport(kind=spec.name, file=source.name, format=chosen)
    plan = ColumnPlan(source.name, spec.required, mapping)
    started = time.perf_counter()
    stage = Stage(store, spec)
    try:
        reader = open_reader(source, chosen, plan, delimiter, encoding)
        try:
            _read(reader, spec, stage, report, now, progress, on_reject)
        finally:
            reader.close()
        with store.transaction():
            store.init_schema()
            merge = merge_entities if spec.entity else merge_facts
            counts: MergeCounts = merge(store, spec, stage.name, stage.rows, now)
    finally:
        stage.drop()
    report.inserted = counts.inserted
    report.updated = counts.updated
    report.duplicates = counts.duplicates
    report.seconds = time.perf_counter() - started
    return report


def _read(
    reader: Reader,
    spec: Kind,
    stage: Stage,
    report: ImportReport,
    now: int,
    progress: Progress | None,
    on_reject: OnReject | None,
) -> None:
    stage_row, name = spec.stage_row, report.file

    def reject(problem: RowProblem) -> None:
        report.add_problem(problem)
        if on_reject is not None:
            on_reject(problem)

    read = 0
    for line, item in reader.items():
        read += 1
        if isinstance(item, RowProblem):
            reject(item)
            continue
        try:
            values = stage_row(item, now)
        except RowError as exc:
            reject(RowProblem(name, line, exc.field, show(exc.value), exc.reason))
            continue
        if stage.add(values):
            stage.flush()
            if progress is not None:
                progress(reader.bytes_read())
    stage.flush()
    report.read = read
    if progress is not None:
        progress(reader.bytes_read())
